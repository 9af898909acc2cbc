package dev.vigil.activities.check;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.activities.retention.RetentionCatalog;
import dev.vigil.activities.wal.WalChain;
import dev.vigil.activities.wal.WalCheck;
import dev.vigil.activities.wal.WalSegment;
import dev.vigil.activities.wal.WalStatus;
import dev.vigil.workflows.common.ErrorType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks of {@code vigil check} over the repositories and the catalog: today the WAL chain of
 * every physical PostgreSQL source (one listing of its archive and one catalog query each).
 */
public final class RepositoryChecks {
  private final VigilServices services;
  private final RetentionCatalog catalog;

  public RepositoryChecks(VigilServices services) {
    this.services = services;
    this.catalog = new RetentionCatalog(services.catalogDataSource());
  }

  /** The sources whose WAL is archived: postgres sources with {@code mode: physical}. */
  public List<String> physicalSources() {
    return services.config().physicalSources();
  }

  /**
   * Every check of {@code sources} (all sources it applies to when empty); INVALID_CONFIG for a
   * named source no check applies to.
   */
  public List<CheckResult> run(List<String> sources, Instant now) {
    List<String> physical = physicalSources();
    List<String> chosen = sources.isEmpty() ? physical : sources;
    List<CheckResult> results = new ArrayList<>();
    for (String name : chosen) {
      SourceConfig source = services.source(name);
      if (!physical.contains(name)) {
        throw new VigilException(
            ErrorType.INVALID_CONFIG,
            "source '"
                + name
                + "' is a "
                + source.type()
                + " source without mode: physical; vigil check covers the archived WAL of"
                + " physical postgres sources");
      }
      WalStatus status = wal(name);
      results.add(
          new CheckResult(
              name, "wal", status.problems(), status.ok() ? WalCheck.summary(status, now) : null));
    }
    return results;
  }

  /** The WAL chain of one source against its kept base backups. */
  public WalStatus wal(String source) {
    SourceConfig config = services.source(source);
    WalChain chain =
        WalChain.list(services.store(config.repository()), source, WalSegment.DEFAULT_SIZE);
    return WalCheck.status(source, chain, catalog.physicalBackups(source));
  }
}
