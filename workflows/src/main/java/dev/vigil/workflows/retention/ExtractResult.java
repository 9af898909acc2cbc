package dev.vigil.workflows.retention;

/** Files and bytes written into a rehydration target. */
public record ExtractResult(long files, long bytes) {}
