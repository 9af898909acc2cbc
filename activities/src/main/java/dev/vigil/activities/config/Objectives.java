package dev.vigil.activities.config;

import java.time.Duration;

/** Recovery objectives of a source: how much data may be lost, how long recovery may take. */
public record Objectives(Duration rpo, Duration rto) {
  public static final Objectives NONE = new Objectives(null, null);
}
