package dev.vigil.workflows.backup;

/**
 * What a source is, without any of its secrets: enough for history and the UI to say what ran.
 *
 * @param name the key under {@code sources:} in vigil.yaml
 * @param type {@code postgres} or {@code directory}
 * @param kind {@code database}, {@code model}, {@code dataset} or {@code config}
 * @param repository the key under {@code repositories:} the backup goes to
 */
public record SourceRef(String name, String type, String kind, String repository) {}
