package dev.vigil.infra.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.vigil.activities.common.Json;
import java.io.UncheckedIOException;

/** JSON for {@code --json}: pretty, ISO-8601 times, records as objects. */
final class JsonOut {
  private JsonOut() {}

  static String pretty(Object value) {
    try {
      return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String line(Object value) {
    try {
      return Json.MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
