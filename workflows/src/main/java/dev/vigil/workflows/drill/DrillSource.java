package dev.vigil.workflows.drill;

/**
 * One source a drill restores, as workflows see it: names and objectives, no secrets.
 *
 * @param type {@code postgres} or {@code directory}
 * @param kind {@code database}, {@code model}, {@code dataset} or {@code config}
 * @param database the source database's name (postgres only); the fresh cluster gets one alike
 */
public record DrillSource(
    String name, String type, String kind, String database, DrillObjectives objectives) {}
