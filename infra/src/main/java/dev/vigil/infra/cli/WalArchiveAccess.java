package dev.vigil.infra.cli;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.ConfigException;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.PostgresSourceConfig;
import dev.vigil.activities.config.RepositoryConfig;
import dev.vigil.activities.config.Secrets;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.crypto.EncryptionKey;
import dev.vigil.activities.crypto.Sealer;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.Repositories;
import dev.vigil.activities.wal.WalArchive;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * What {@code wal-push} and {@code wal-fetch} share: a source's WAL archive built from vigil.yaml
 * with nothing but its repository's client and the key (no catalog, no Temporal, no workflow: one
 * call per file must be cheap), and the mapping of every failure to one line and an exit code
 * PostgreSQL understands.
 *
 * <p>Exit codes: 0 done; 1 refused (a different file is archived under the name) or, for a fetch,
 * not in the archive (never for any other failure, so recovery does not take an outage for the end
 * of the archive); 2 bad input (config, key, name, file); 3 a failure a retry may fix: the
 * repository cannot be reached, a download broke off, local I/O (PostgreSQL retries a push; a fetch
 * counts as "not available"); {@value #FATAL} for a fetch of a file that is archived but corrupt or
 * sealed with another key, so recovery stops rather than end early at that file: PostgreSQL aborts
 * recovery on an exit status above 125.
 */
final class WalArchiveAccess implements AutoCloseable {
  static final int DONE = 0;
  static final int REFUSED_OR_ABSENT = 1;
  static final int BAD_INPUT = 2;
  static final int UNAVAILABLE = 3;
  static final int FATAL = 128;

  private final ObjectStore store;
  private final WalArchive archive;

  private WalArchiveAccess(ObjectStore store, WalArchive archive) {
    this.store = store;
    this.archive = archive;
  }

  /** The options both verbs take: which config, which source. */
  static final class Options {
    @Option(names = "--config", description = "The config file (default: vigil.yaml).")
    Path config = Path.of("vigil.yaml");

    @Option(
        names = "--source",
        required = true,
        description = "The postgres source in vigil.yaml whose WAL this is.")
    String source;
  }

  /** The archive of the chosen source; INVALID_CONFIG naming what is missing. */
  static WalArchiveAccess open(Options options) {
    Path config = options.config;
    String sourceName = options.source;
    VigilConfig loaded = new ConfigLoader().withoutLocalPathChecks().load(config);
    SourceConfig source = loaded.sources().get(sourceName);
    if (source == null) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "no source '" + sourceName + "' in " + config + "; known: " + loaded.sources().keySet());
    }
    if (!(source instanceof PostgresSourceConfig)) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "source '"
              + sourceName
              + "' in "
              + config
              + " is a "
              + source.type()
              + " source; WAL archiving is for postgres sources");
    }
    RepositoryConfig repository = loaded.repositories().get(source.repository());
    EncryptionKey key = EncryptionKey.load(loaded.encryption(), System::getenv);
    ObjectStore store = Repositories.open(repository, ref -> Secrets.resolve(ref, System::getenv));
    // One zstd thread: PostgreSQL runs one archive_command at a time, the CPU belongs to the
    // server.
    Sealer sealer = new Sealer(key, 3, 1);
    return new WalArchiveAccess(
        store,
        new WalArchive(store, sealer, sourceName, Path.of(System.getProperty("java.io.tmpdir"))));
  }

  WalArchive archive() {
    return archive;
  }

  @Override
  public void close() {
    store.close();
  }

  /**
   * One line on {@code err} for {@code failure} of {@code verb} on {@code what}, and its exit code;
   * {@code fetch} makes an archived file that cannot be trusted fatal.
   */
  static int report(PrintWriter err, String verb, String what, Exception failure, boolean fetch) {
    String prefix = "vigil " + verb + ": ";
    if (failure instanceof ConfigException config) {
      List<String> problems = config.problems();
      err.println(
          prefix
              + (problems.isEmpty() ? "invalid config" : problems.get(0))
              + (problems.size() > 1
                  ? " (and " + (problems.size() - 1) + " more; run vigil validate)"
                  : ""));
      return BAD_INPUT;
    }
    if (failure instanceof VigilException vigil) {
      err.println(prefix + vigil.type() + ": " + oneLine(vigil.getMessage()));
      return switch (vigil.type()) {
        case WAL_CONFLICT -> REFUSED_OR_ABSENT;
        case REPOSITORY_UNAVAILABLE -> UNAVAILABLE;
        case OBJECT_CORRUPT, DUMP_INVALID -> fetch ? FATAL : BAD_INPUT;
        case ENCRYPTION_KEY_INVALID -> fetch ? FATAL : BAD_INPUT;
        default -> BAD_INPUT;
      };
    }
    if (failure instanceof NoSuchFileException missing) {
      err.println(prefix + what + ": no such file or directory: " + missing.getFile());
      return BAD_INPUT;
    }
    if (failure instanceof AccessDeniedException denied) {
      err.println(prefix + what + ": permission denied: " + denied.getFile());
      return BAD_INPUT;
    }
    if (failure instanceof IOException io) {
      err.println(prefix + what + ": " + oneLine(String.valueOf(io.getMessage())));
      return UNAVAILABLE;
    }
    err.println(
        prefix
            + what
            + ": unexpected failure"
            + (failure.getMessage() == null ? "" : ": " + oneLine(failure.getMessage())));
    return UNAVAILABLE;
  }

  private static String oneLine(String text) {
    return text.replaceAll("\\s+", " ").strip();
  }
}
