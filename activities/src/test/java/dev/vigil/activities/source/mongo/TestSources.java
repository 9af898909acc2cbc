package dev.vigil.activities.source.mongo;

import dev.vigil.activities.config.Objectives;
import dev.vigil.activities.config.SecretRef;
import java.util.List;

/** MongoDB sources for tests. */
final class TestSources {
  private TestSources() {}

  static MongoSource source(String name, String uri, String user, List<String> databases) {
    return source(name, uri, user, databases, MongoSource.DRIVER);
  }

  static MongoSource source(
      String name, String uri, String user, List<String> databases, String tools) {
    return new MongoSource(
        name,
        "main",
        "auto",
        Objectives.NONE,
        uri,
        user,
        SecretRef.NONE,
        databases,
        tools,
        null,
        null,
        null,
        List.of(),
        null,
        null,
        SecretRef.NONE);
  }
}
