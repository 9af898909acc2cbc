package dev.vigil.starter.read;

import java.sql.SQLException;

/** Reading the catalog failed: the database is unreachable, or its schema is not migrated. */
public final class CatalogReadException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** {@code purpose} (e.g. "listing backups") failed with {@code cause}. */
  public CatalogReadException(String purpose, SQLException cause) {
    super(
        "catalog: "
            + purpose
            + " failed ("
            + firstLine(cause.getMessage())
            + "): check that the catalog database is up and that the worker has migrated it"
            + " (vigil worker runs the migrations at start)",
        cause);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "no message";
    }
    int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end);
  }
}
