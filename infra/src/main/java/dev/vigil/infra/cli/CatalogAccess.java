package dev.vigil.infra.cli;

import dev.vigil.activities.catalog.PostgresCatalog;
import dev.vigil.activities.config.Secrets;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.starter.read.CatalogReader;

/** The catalog of a vigil.yaml, opened for reading only (the CLI's list and report verbs). */
final class CatalogAccess {
  private CatalogAccess() {}

  /** A reader over {@code config}'s catalog; its password is resolved here, never logged. */
  static CatalogReader reader(VigilConfig config) {
    String password = Secrets.resolve(config.catalog().password(), System::getenv);
    return new CatalogReader(PostgresCatalog.create(config.catalog(), password).dataSource());
  }
}
