package dev.vigil.activities.source.directory;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.activities.backup.DumpMeta;
import dev.vigil.activities.backup.ManifestWriter;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.ConfigNode;
import dev.vigil.activities.config.DirectorySourceConfig;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.activities.restore.BackupManifest;
import dev.vigil.activities.restore.DirectoryRestorer;
import dev.vigil.activities.restore.RestoreRoots;
import dev.vigil.activities.restore.RestoreStep;
import dev.vigil.activities.source.DirDump;
import dev.vigil.activities.source.DirectoryDumper;
import dev.vigil.activities.source.DrillScratch;
import dev.vigil.activities.source.DumpStep;
import dev.vigil.activities.source.SourceDriver;
import dev.vigil.activities.source.SourceDump;
import dev.vigil.activities.source.SourceSpec;
import dev.vigil.activities.source.StreamedDump;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.drill.DrillSource;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.SelectedBackup;
import dev.vigil.workflows.restore.ValidationResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A directory tree ({@code type: directory}: models, datasets, config), archived as one tar (or,
 * with {@code layout: chunked}, as deduplicated chunks in packs: {@link ChunkedBackups}) with every
 * file's size and SHA-256 in the manifest, and restored into a directory through the safe
 * extractor.
 */
public final class DirectoryDriver implements SourceDriver {

  /** The format of a directory backup. */
  public static final String FORMAT = "tar";

  /** The format of a directory backup in the chunked layout (its data object is the snapshot). */
  public static final String CHUNKED_FORMAT = "chunked";

  /** The decrypted tar of a directory backup in a restore's spool. */
  public static final String RESTORE_ARCHIVE = "archive.tar";

  /** The decrypted snapshot of a chunked backup in a restore's spool. */
  public static final String RESTORE_SNAPSHOT = "snapshot.json";

  private final DirectoryRestorer directories = new DirectoryRestorer();
  private final ChunkedBackups chunks = new ChunkedBackups();

  @Override
  public String type() {
    return "directory";
  }

  @Override
  public Set<String> formats() {
    return Set.of(FORMAT, CHUNKED_FORMAT);
  }

  @Override
  public SourceConfig parse(SourceSpec spec) {
    ConfigNode source = spec.node();
    spec.allow("path", "kind", "include", "exclude", "layout");
    Path path = source.path("path", null);
    if (path == null) {
      source.problem("path", "missing; the directory to back up");
    } else if (spec.checkLocalPaths() && !Files.isDirectory(path)) {
      source.problem(
          "path",
          (Files.exists(path) ? "not a directory: " : "no such directory: ")
              + path
              + "; create it or fix the path");
    }
    return new DirectorySourceConfig(
        source.key,
        spec.repository(),
        source.oneOf("kind", null, Set.of("model", "dataset", "config")),
        path,
        source.globs("include"),
        source.globs("exclude"),
        spec.compression(),
        spec.objectives(),
        source.oneOf(
            "layout",
            DirectorySourceConfig.TAR,
            Set.of(DirectorySourceConfig.TAR, DirectorySourceConfig.CHUNKED)));
  }

  @Override
  public SourceDump dump(SourceConfig source, DumpStep step) {
    DirectorySourceConfig directory = (DirectorySourceConfig) source;
    if (directory.chunked()) {
      return chunks.dump(directory, step);
    }
    DirDump dump =
        step.services()
            .directoryDumper()
            .dump((DirectorySourceConfig) source, step.dir(), step.heartbeat()::accept);
    return sourceDump(dump);
  }

  private static SourceDump sourceDump(DirDump dump) {
    return new SourceDump(
        new DumpMeta(FORMAT, DirectoryDumper.ARCHIVE, DirectoryDumper.FILE_LIST, dump.warnings()),
        dump.archiveBytes(),
        dump.entries(),
        0,
        dump.consistentAt(),
        "vigil-tar " + ManifestWriter.VIGIL_VERSION,
        null);
  }

  /**
   * The tar layout streams into the sealer, read back as a tar on the way; the chunked layout
   * uploads its packs itself and seals only its snapshot.
   */
  @Override
  public boolean streamsDump(SourceConfig source) {
    return !((DirectorySourceConfig) source).chunked();
  }

  @Override
  public StreamedDump dumpInto(SourceConfig source, DumpStep step, OutputStream sink) {
    DirectoryDumper.Streamed streamed =
        step.services()
            .directoryDumper()
            .dumpInto((DirectorySourceConfig) source, step.dir(), sink, step.heartbeat()::accept);
    return new StreamedDump(sourceDump(streamed.dump()), streamed.checkedEntries());
  }

  @Override
  public long verify(DumpMeta meta, Path raw, Path listFile, DumpStep step) {
    if (CHUNKED_FORMAT.equals(meta.format())) {
      return chunks.verify(raw, listFile, step);
    }
    return step.services().directoryDumper().verify(raw, listFile);
  }

  @Override
  public void writeManifest(JsonGenerator json, DumpMeta meta, Path listFile) throws IOException {
    json.writeArrayFieldStart("files");
    try (MappingIterator<JsonNode> files =
        Json.MAPPER.readerFor(JsonNode.class).readValues(listFile.toFile())) {
      while (files.hasNext()) {
        // One compact line per entry, without null fields: the list is most of a manifest
        // (20,000 files took 5 MB pretty-printed, 3 MB like this) and stays plain JSON.
        JsonNode entry = files.next();
        if (entry instanceof ObjectNode object) {
          List<String> nulls = new ArrayList<>();
          object
              .fields()
              .forEachRemaining(
                  f -> {
                    if (f.getValue().isNull()) {
                      nulls.add(f.getKey());
                    }
                  });
          object.remove(nulls);
        }
        json.writeRawValue(Json.MAPPER.writeValueAsString(entry));
      }
    }
    json.writeEndArray();
  }

  @Override
  public String restoreFileName(String format) {
    return CHUNKED_FORMAT.equals(format) ? RESTORE_SNAPSHOT : RESTORE_ARCHIVE;
  }

  @Override
  public boolean restoresWhileDecrypting() {
    return true;
  }

  @Override
  public void checkTarget(RestoreStep step) {
    Path into = directoryTarget(step);
    directories.checkTarget(into, step.force() || step.claimedBefore());
    RestoreRoots.requireWritable(into);
  }

  @Override
  public RestoreTarget restore(RestoreStep step) {
    // Checked again here, on the host that writes: a request cannot skip the check step.
    Path into = directoryTarget(step);
    boolean replace = step.force() || step.claimedBefore();
    directories.checkTarget(into, replace);
    step.claim();
    BackupManifest manifest = step.manifest();
    // The tar is extracted as it is decrypted (or, for a chunked backup, the tree is written from
    // verified chunks); the staging directory moves into place only once the whole stream
    // authenticated, so a failure part-way leaves the target as it was.
    try {
      if (CHUNKED_FORMAT.equals(step.backup().format())) {
        chunks.restore(step, into, replace, directories);
      } else {
        try (InputStream in = step.openPlaintext();
            BackupManifest.FileList files = manifest.files()) {
          directories.restore(in, into, step.restoreId(), replace, files, step.heartbeat()::accept);
        }
      }
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING,
          "restore: cannot read the backup in " + step.dir() + ": " + e,
          e);
    } catch (VigilException e) {
      if (e.type() != ErrorType.DUMP_INVALID) {
        throw e;
      }
      throw new VigilException(
          ErrorType.DUMP_INVALID,
          e.getMessage() + "; nothing was restored, " + into + " is as it was",
          e);
    }
    return RestoreTarget.directory(into.toString());
  }

  @Override
  public ValidationResult validate(RestoreStep step) {
    try (BackupManifest.FileList files = step.manifest().files()) {
      Path into = Path.of(step.target().directory());
      // A chunked restore matched each file's SHA-256 with the manifest as it wrote the file: the
      // tree is walked (types, sizes, links, nothing missing or extra), not read again. A tar
      // backup's tree is read and hashed again.
      boolean rehash =
          !(CHUNKED_FORMAT.equals(step.backup().format())
              && ChunkedBackups.verifiedWhileWritten(step, into));
      return directories.validate(into, files, step.heartbeat()::accept, rehash);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "validate: cannot read the manifest: " + e, e);
    }
  }

  @Override
  public RestoreTarget drillTarget(DrillSource source, DrillScratch drill) {
    return RestoreTarget.directory(drill.filesOf(source.name()).toString());
  }

  /**
   * The real path of a directory backup's target, once it is known to be a directory target inside
   * the worker's restore roots; INVALID_CONFIG or RESTORE_TARGET_FORBIDDEN otherwise.
   */
  private static Path directoryTarget(RestoreStep step) {
    SelectedBackup backup = step.backup();
    RestoreTarget target = step.target();
    if (target == null || !"directory".equals(target.type()) || target.directory() == null) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "backup '"
              + backup.backupId()
              + "' is a directory; restore it into a directory (--target-dir)");
    }
    return step.roots().check(target.directory());
  }
}
