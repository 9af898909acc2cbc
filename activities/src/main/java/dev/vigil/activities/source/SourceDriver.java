package dev.vigil.activities.source;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.vigil.activities.backup.DumpMeta;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.activities.restore.EarlyLoad;
import dev.vigil.activities.restore.RestoreStep;
import dev.vigil.workflows.drill.DrillSource;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.ValidationResult;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Set;

/**
 * One kind of source (its {@code type:} in vigil.yaml): how its config is read, how it is dumped to
 * a file in the spool and checked, what its manifest records, how a backup of it is restored and
 * validated, and what a drill stands up to restore it into. Everything after the dump (seal,
 * upload, verify, catalog, retention, copies) is the same for every kind and knows nothing of them;
 * a new kind is one implementation registered in {@link SourceDrivers}.
 *
 * <p>Implementations are stateless and thread-safe; what they need at run time comes with each
 * call. Errors are {@code VigilException}s with one line a person can act on, naming the source.
 */
public interface SourceDriver {

  /** The {@code type:} that selects this driver in vigil.yaml ({@code postgres}, …). */
  String type();

  /**
   * The backup formats this driver writes ({@code DumpResult.format}, recorded in the catalog): a
   * restore finds its driver by the backup's format, not by today's config.
   */
  Set<String> formats();

  /**
   * Reads the source's own keys (the shared ones are read already and in {@code spec}); records
   * problems on {@code spec.node()} rather than throwing, so one pass reports every mistake.
   */
  SourceConfig parse(SourceSpec spec);

  /**
   * Dumps the source into {@code step.dir()} (a fresh, empty spool directory): one raw file and a
   * side file listing what it holds (see {@link DumpMeta}). The returned dump's {@code
   * consistentAt} is the point the backup represents (what "consistent" means is the driver's to
   * say in the README). Streams to disk and heartbeats progress through {@code step.heartbeat()}.
   */
  SourceDump dump(SourceConfig source, DumpStep step);

  /**
   * Checks a dump before it is sealed: readable by the kind's own tools, and how many entries it
   * holds (more than zero, else the backup is refused as empty). A damaged dump is DUMP_INVALID.
   */
  long verify(DumpMeta meta, Path raw, Path listFile, DumpStep step);

  /**
   * Writes the kind's own part of the backup manifest (row counts, files, key counts…) as fields of
   * the manifest object, from the dump's side file. The manifest is authenticated as a whole.
   */
  void writeManifest(JsonGenerator json, DumpMeta meta, Path listFile) throws IOException;

  /** The file name the unsealed backup of {@code format} gets in a restore's spool. */
  String restoreFileName(String format);

  /**
   * Whether {@link #restore} reads the backup through {@link RestoreStep#openPlaintext()},
   * decrypted as it is read from the sealed spool file: the decrypt step then only checks the key
   * and keeps the sealed file, and no plaintext copy is written to the spool.
   */
  default boolean restoresWhileDecrypting() {
    return false;
  }

  /**
   * Starts loading the backup into {@code step.target()} while the download step fetches it (the
   * plaintext is handed on as each segment authenticates), or returns null to leave the whole
   * restore to {@link #restore}. A driver that loads early creates the target for it and undoes the
   * load if the download does not verify; its {@link #restore} then finds {@link EarlyLoad#loaded}
   * and finishes the rest. {@code step.plain()} is where the plaintext will be; the manifest is
   * verified.
   */
  default EarlyLoad loadWhileDownloading(RestoreStep step) {
    return null;
  }

  /**
   * The restore failed or was cancelled before its restore step completed: removes the target
   * {@link #loadWhileDownloading} created (whatever was loaded into it), if it did. Safe to repeat.
   */
  default void discardEarlyLoad(RestoreStep step) {}

  /**
   * Refuses, before anything is downloaded, a target this kind cannot restore into or one that
   * holds data a restore must not replace (unless forced).
   */
  void checkTarget(RestoreStep step);

  /**
   * Restores the unsealed backup {@code step.plain()} into {@code step.target()} and says where it
   * went (with what {@link #validate} needs: a fresh server's port, a directory…). Safe to run
   * again after a crash: {@code step.claimedBefore()} says an earlier attempt already began writing
   * to the target.
   */
  RestoreTarget restore(RestoreStep step);

  /** Checks the restored copy against the manifest's counts and the source's configured checks. */
  ValidationResult validate(RestoreStep step);

  /**
   * Where a drill restores {@code source}: in the drill's shared environment ({@code drill}) or in
   * a server of its own that its restore starts (then {@link #tearDownDrill} stops it).
   */
  RestoreTarget drillTarget(DrillSource source, DrillScratch drill);

  /** Stops what this kind's drill restores started for {@code drillId}; nothing is fine. */
  default void tearDownDrill(String drillId) {}

  /**
   * Stops and deletes a fresh server this kind started for {@code restoreId} (the restore
   * workflow's last step, and a drill's teardown); nothing to stop is fine.
   */
  default void stopFresh(String restoreId) {}

  /** The source database's name for drill reports and shared clusters, or null. */
  default String databaseName(SourceConfig source) {
    return null;
  }

  /**
   * Whether {@link #dumpInto} can dump {@code source} as a stream, sealed as it is produced (one
   * pass, no raw file). Drivers that cannot keep {@link #dump} and {@link #verify}.
   */
  default boolean streamsDump(SourceConfig source) {
    return false;
  }

  /**
   * Dumps {@code source} as a stream into {@code sink} (the sealer; not to be closed) and checks it
   * on the way, as {@link #verify} checks a raw file: a damaged dump is DUMP_INVALID. Side files go
   * into {@code step.dir()} as with {@link #dump}; the returned dump's meta names the raw file it
   * would have written. Heartbeats progress through {@code step.heartbeat()}. Only called when
   * {@link #streamsDump} says so.
   */
  default StreamedDump dumpInto(SourceConfig source, DumpStep step, OutputStream sink) {
    throw new UnsupportedOperationException(type() + " sources are not dumped as a stream");
  }
}
