package dev.vigil.infra.pipeline;

/** The MongoDB source the pipeline tests add to the harness's config. */
final class MongoSources {
  private MongoSources() {}

  /**
   * Source {@code docs}: database {@code app} on {@code port} through the driver path, with a
   * validation that at least {@code minActive} users are active.
   */
  static String docs(int port, int minActive) {
    return """
          docs:
            type: mongodb
            uri: mongodb://127.0.0.1:%d/
            databases: [app]
            tools: driver
            validations:
              - collection: users
                filter: {active: true}
                min-count: %d
        """
        .formatted(port, minActive);
  }
}
