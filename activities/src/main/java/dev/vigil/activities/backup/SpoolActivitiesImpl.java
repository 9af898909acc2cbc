package dev.vigil.activities.backup;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.Activities;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.SpoolErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.PostgresSourceConfig;
import dev.vigil.activities.config.S3RepositoryConfig;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.activities.crypto.SealOutcome;
import dev.vigil.activities.crypto.SealingSink;
import dev.vigil.activities.restore.BackupManifest;
import dev.vigil.activities.source.DumpStep;
import dev.vigil.activities.source.SourceDriver;
import dev.vigil.activities.source.SourceDump;
import dev.vigil.activities.source.StreamedDump;
import dev.vigil.activities.store.GrowingUpload;
import dev.vigil.activities.store.ObjectAttributes;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.OpenUpload;
import dev.vigil.activities.store.StoredObject;
import dev.vigil.activities.store.UploadOutcome;
import dev.vigil.activities.store.WrittenChecksums;
import dev.vigil.workflows.backup.DumpRequest;
import dev.vigil.workflows.backup.DumpResult;
import dev.vigil.workflows.backup.SealRequest;
import dev.vigil.workflows.backup.SealResult;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.backup.SpoolActivities;
import dev.vigil.workflows.backup.UploadProgress;
import dev.vigil.workflows.backup.UploadRequest;
import dev.vigil.workflows.backup.UploadResult;
import dev.vigil.workflows.backup.VerifyDumpRequest;
import dev.vigil.workflows.backup.VerifyDumpResult;
import dev.vigil.workflows.common.ErrorType;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The spool steps of a backup, on the host that holds the spool. */
public final class SpoolActivitiesImpl implements SpoolActivities {
  private static final Logger log = LoggerFactory.getLogger(SpoolActivitiesImpl.class);

  /** A size change above this share of the previous backup is worth a warning. */
  static final double SIZE_DEVIATION_WARNING = 0.15;

  private final VigilServices services;

  public SpoolActivitiesImpl(VigilServices services) {
    this.services = services;
  }

  @Override
  public DumpResult dump(DumpRequest request) {
    return Activities.run(() -> doDump(request));
  }

  @Override
  public VerifyDumpResult verifyDump(VerifyDumpRequest request) {
    return Activities.run(() -> doVerify(request));
  }

  @Override
  public SealResult seal(SealRequest request) {
    return Activities.run(() -> doSeal(request));
  }

  @Override
  public UploadResult upload(UploadRequest request) {
    return Activities.run(() -> doUpload(request));
  }

  @Override
  public void cleanSpool(String backupId) {
    Activities.run(
        () -> {
          try {
            abortEarlyUpload(backupId);
            services.spool().delete(backupId);
          } catch (IOException e) {
            throw new VigilException(
                ErrorType.SPOOL_MISSING, "cannot clean spool of " + backupId + ": " + e, e);
          }
        });
  }

  private DumpResult doDump(DumpRequest request) {
    ActivityExecutionContext context = Activity.getExecutionContext();
    SourceConfig source = services.source(request.source().name());
    String backupId = request.backupId();
    // A retried dump starts afresh: a half-written dump is worth nothing, and so are the parts it
    // sent (the new dump seals with a new nonce).
    abortEarlyUpload(backupId);
    Path dir = services.spool().fresh(backupId);
    log.info("dump {} of source {} into {}", backupId, source.name(), dir);
    SourceDriver driver = services.drivers().of(source);
    DumpStep step = new DumpStep(services, backupId, dir, context::heartbeat);
    SourceDump dump =
        driver.streamsDump(source)
            ? dumpAndSeal(driver, source, step, request.source())
            : driver.dump(source, step);
    DumpMeta meta = dump.meta();
    DumpResult result =
        new DumpResult(
            backupId,
            dir.toString(),
            meta.format(),
            dump.rawBytes(),
            dump.entries(),
            dump.totalRows(),
            dump.consistentAt().toEpochMilli(),
            dump.toolVersion(),
            dump.serverVersion());
    writeJson(dir.resolve(Spool.DUMP_META), meta, "dump");
    return result;
  }

  /**
   * Dumps a streaming source straight into the sealer: dump, check and seal in one pass. Leaves the
   * sealed file and its {@link Spool#SEAL_META} (so the seal step returns them as done) and the
   * check's {@link Spool#STREAM_CHECK} (so the verify step returns it); a failure leaves neither.
   */
  private SourceDump dumpAndSeal(
      SourceDriver driver, SourceConfig source, DumpStep step, SourceRef ref) {
    Path dir = step.dir();
    Path partial = dir.resolve(Spool.SEALED + ".partial");
    StreamedDump streamed;
    SealOutcome outcome;
    AtomicReference<SealingSink> sealing = new AtomicReference<>();
    // The CRCs of the sealed bytes as they are written, for a store that checks uploads by CRC:
    // neither the parts sent while dumping nor the upload step read the file back to take them.
    WrittenChecksums.Recorder crcs =
        services.config().repositories().get(ref.repository()) instanceof S3RepositoryConfig s3
                && s3.verifiesByChecksum()
            ? WrittenChecksums.Recorder.crcOnly()
            : null;
    GrowingUpload early =
        startEarlyUpload(source, ref, step.backupId(), partial, sealing, crcs).orElse(null);
    try {
      try (OutputStream file =
              new BufferedOutputStream(
                  new WrittenBytes(Files.newOutputStream(partial), early, crcs), 1 << 20);
          SealingSink sink =
              services
                  .sealer()
                  .sink(file, source.compression(), aeadContext(step.backupId(), ref))) {
        sealing.set(sink);
        streamed = driver.dumpInto(source, step, sink);
        outcome = sink.finish();
      } catch (IOException e) {
        throw SpoolErrors.translate(
            e,
            services.spool().root(),
            "dump",
            new VigilException(
                ErrorType.SPOOL_MISSING, "dump: cannot seal into " + partial + ": " + e, e));
      }
      if (early != null) {
        finishEarlyUpload(early, outcome, step, ref.repository());
      }
    } catch (RuntimeException | Error e) {
      // A failed dump leaves no parts behind: this sealed stream will never be completed.
      if (early != null) {
        early.abort();
        deleteEarlyUploadRecord(step.backupId());
      }
      throw e;
    }
    try {
      Files.move(partial, dir.resolve(Spool.SEALED), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "dump: cannot complete " + partial + ": " + e, e);
    }
    if (crcs != null) {
      try {
        crcs.finish(outcome.sha256()).writeTo(dir.resolve(Spool.SEALED_SUMS));
      } catch (IOException e) {
        throw SpoolErrors.translate(
            e,
            services.spool().root(),
            "dump",
            new VigilException(
                ErrorType.SPOOL_MISSING, "dump: cannot write " + Spool.SEALED_SUMS + ": " + e, e));
      }
    }
    writeJson(dir.resolve(Spool.SEAL_META), sealResult(step.backupId(), outcome), "dump");
    writeJson(dir.resolve(Spool.STREAM_CHECK), new StreamCheck(streamed.verifiedEntries()), "dump");
    log.info(
        "dump {} of source {}: {} raw bytes sealed as {} bytes ({}) in one pass, {} entries checked",
        step.backupId(),
        source.name(),
        outcome.rawBytes(),
        outcome.storedBytes(),
        outcome.compression(),
        streamed.verifiedEntries());
    return streamed.dump();
  }

  /**
   * A PostgreSQL logical dump's sealed parts go to the backup's object key while pg_dump still
   * runs, when the repository does that (S3 with {@code upload-while-dumping}, the default; a
   * filesystem repository always). Other sources keep uploading in the upload step alone.
   */
  private Optional<GrowingUpload> startEarlyUpload(
      SourceConfig source,
      SourceRef ref,
      String backupId,
      Path partial,
      AtomicReference<SealingSink> sealing,
      WrittenChecksums.Recorder crcs) {
    if (!(source instanceof PostgresSourceConfig)) {
      return Optional.empty();
    }
    ObjectStore store = services.store(ref.repository());
    String storageClass = services.config().repositories().get(ref.repository()).storageClass();
    Path record = partial.resolveSibling(Spool.EARLY_UPLOAD);
    return store.uploadWhileWriting(
        partial,
        dataKey(store, ref, backupId),
        () -> {
          // The SHA-256 is known only at the end: the manifest and the catalog carry it.
          Map<String, String> metadata = new HashMap<>();
          metadata.put("vigil-key-id", services.sealer().keyId());
          String compression = sealing.get() == null ? null : sealing.get().compression();
          if (compression != null) {
            metadata.put("vigil-compression", compression);
          }
          return new ObjectAttributes(storageClass, objectTags(ref, backupId), metadata);
        },
        started -> writeJson(record, EarlyUpload.of(ref.repository(), started), "dump"),
        crcs);
  }

  /** Sends the parts the dump did not, and records the upload for the upload step. */
  private void finishEarlyUpload(
      GrowingUpload early, SealOutcome outcome, DumpStep step, String repository) {
    Path record = step.dir().resolve(Spool.EARLY_UPLOAD);
    Optional<UploadProgress> sent =
        early.finish(outcome.storedBytes(), () -> step.heartbeat().accept(outcome.rawBytes()));
    if (sent.isPresent()) {
      writeJson(record, EarlyUpload.of(repository, sent.get()), "dump");
      log.info(
          "dump {}: {} parts of {} stored while dumping ({})",
          step.backupId(),
          sent.get().partsDone(),
          sent.get().objectKey(),
          sent.get().uploadId());
    } else {
      deleteEarlyUploadRecord(step.backupId());
    }
  }

  /**
   * Aborts the upload an earlier dump attempt started and no upload step completed, if its record
   * is in the spool: its parts belong to a sealed stream that will never be completed. An upload
   * the store no longer has is fine; a store that cannot be reached leaves it to the bucket's
   * lifecycle rule.
   */
  private void abortEarlyUpload(String backupId) {
    Path record = services.spool().dir(backupId).resolve(Spool.EARLY_UPLOAD);
    if (!Files.exists(record)) {
      return;
    }
    EarlyUpload early;
    try {
      early = readJson(record, EarlyUpload.class);
    } catch (VigilException e) {
      // Cut short by a kill while it was written: the next early upload aborts every open upload
      // of the key before it starts its own.
      log.warn("ignoring unreadable {}: {}", record, e.getMessage());
      deleteEarlyUploadRecord(backupId);
      return;
    }
    try {
      services
          .store(early.repository())
          .abortUpload(new OpenUpload(early.objectKey(), early.uploadId()));
      log.info("aborted the uncompleted upload {} of {}", early.uploadId(), early.objectKey());
    } catch (VigilException e) {
      log.warn("cannot abort the uncompleted upload of {}: {}", early.objectKey(), e.getMessage());
    }
    deleteEarlyUploadRecord(backupId);
  }

  private void deleteEarlyUploadRecord(String backupId) {
    try {
      Files.deleteIfExists(services.spool().dir(backupId).resolve(Spool.EARLY_UPLOAD));
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING,
          "cannot remove " + Spool.EARLY_UPLOAD + " of " + backupId + ": " + e.getMessage(),
          e);
    }
  }

  /** The upload the dump fed, for the upload step to resume; null if there is none for key. */
  private UploadProgress earlyUpload(String backupId, String dataKey) {
    Path record = services.spool().dir(backupId).resolve(Spool.EARLY_UPLOAD);
    if (!Files.exists(record)) {
      return null;
    }
    EarlyUpload early = readJson(record, EarlyUpload.class);
    return dataKey.equals(early.objectKey()) && early.partsDone() > 0 ? early.progress() : null;
  }

  private static String dataKey(ObjectStore store, SourceRef source, String backupId) {
    return store.key(source.name() + "/" + backupId + "/" + Spool.SEALED);
  }

  private static Map<String, String> objectTags(SourceRef source, String backupId) {
    return Map.of(
        "vigil-source", source.name(), "vigil-kind", source.kind(), "vigil-backup-id", backupId);
  }

  /**
   * The file under the sealer's buffer: takes the CRCs of what reaches the file and tells the early
   * upload how many bytes did, as only those are final.
   */
  private static final class WrittenBytes extends FilterOutputStream {
    private final GrowingUpload early;
    private final WrittenChecksums.Recorder crcs;
    private long written;

    WrittenBytes(OutputStream file, GrowingUpload early, WrittenChecksums.Recorder crcs) {
      super(file);
      this.early = early;
      this.crcs = crcs;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      out.write(bytes, offset, length);
      if (crcs != null) {
        crcs.update(bytes, offset, length);
      }
      advance(length);
    }

    private void advance(int length) {
      written += length;
      if (early != null) {
        early.written(written);
      }
    }
  }

  private VerifyDumpResult doVerify(VerifyDumpRequest request) {
    DumpResult dump = request.dump();
    String backupId = dump.backupId();
    DumpMeta meta = readJson(services.spool().existing(backupId, Spool.DUMP_META), DumpMeta.class);
    Path checked = services.spool().dir(backupId).resolve(Spool.STREAM_CHECK);
    long listed =
        Files.exists(checked)
            ? readJson(checked, StreamCheck.class).entries()
            : verifyRaw(backupId, meta);
    if (dump.rawBytes() <= 0 || listed <= 0) {
      throw new VigilException(
          ErrorType.DUMP_INVALID,
          "source '"
              + request.source().name()
              + "': the dump is empty ("
              + dump.rawBytes()
              + " bytes, "
              + listed
              + " entries); nothing to back up");
    }
    List<String> warnings = new ArrayList<>(meta.warnings());
    OptionalLong previous =
        services.catalog().previousArchivedRawBytes(request.source().name(), backupId);
    if (previous.isPresent() && previous.getAsLong() > 0) {
      double change = (dump.rawBytes() - previous.getAsLong()) / (double) previous.getAsLong();
      if (Math.abs(change) > SIZE_DEVIATION_WARNING) {
        warnings.add(
            String.format(
                Locale.ROOT,
                "size %d bytes is %s%.0f%% from the previous backup's %d bytes",
                dump.rawBytes(),
                change > 0 ? "+" : "",
                change * 100,
                previous.getAsLong()));
      }
    }
    return new VerifyDumpResult(listed, previous.orElse(-1), warnings);
  }

  /** The driver's check of a raw dump file in the spool: the entries it holds. */
  private long verifyRaw(String backupId, DumpMeta meta) {
    Path raw = services.spool().existing(backupId, meta.rawFile());
    return services
        .drivers()
        .forFormat(meta.format())
        .orElseThrow(() -> new IllegalStateException("no driver writes " + meta.format()))
        .verify(
            meta,
            raw,
            services.spool().existing(backupId, meta.listFile()),
            new DumpStep(
                services,
                backupId,
                services.spool().dir(backupId),
                Activity.getExecutionContext()::heartbeat));
  }

  private SealResult doSeal(SealRequest request) {
    ActivityExecutionContext context = Activity.getExecutionContext();
    String backupId = request.dump().backupId();
    Path dir = services.spool().dir(backupId);
    Path sealedFile = dir.resolve(Spool.SEALED);
    Path sealedMeta = dir.resolve(Spool.SEAL_META);
    // Check before acting: a retry after the seal completed returns what it produced.
    if (Files.exists(sealedMeta) && Files.exists(sealedFile)) {
      return readJson(sealedMeta, SealResult.class);
    }
    DumpMeta meta = readJson(services.spool().existing(backupId, Spool.DUMP_META), DumpMeta.class);
    Path raw = services.spool().existing(backupId, meta.rawFile());
    SourceConfig source = services.source(request.source().name());
    Path partial = dir.resolve(Spool.SEALED + ".partial");
    try {
      String compression = services.sealer().chooseCompression(raw, source.compression());
      SealOutcome outcome =
          services
              .sealer()
              .seal(
                  raw,
                  partial,
                  compression,
                  aeadContext(backupId, request.source()),
                  context::heartbeat);
      Files.move(partial, sealedFile, StandardCopyOption.ATOMIC_MOVE);
      SealResult result = sealResult(backupId, outcome);
      writeJson(sealedMeta, result, "compress");
      // The raw dump is no longer needed once the sealed file is complete and recorded.
      Files.deleteIfExists(raw);
      return result;
    } catch (IOException e) {
      throw SpoolErrors.translate(
          e,
          services.spool().root(),
          "compress",
          new VigilException(
              ErrorType.SPOOL_MISSING, "compress: cannot seal " + raw + ": " + e.getMessage(), e));
    }
  }

  private SealResult sealResult(String backupId, SealOutcome outcome) {
    return new SealResult(
        backupId,
        outcome.rawBytes(),
        outcome.storedBytes(),
        outcome.sha256(),
        outcome.compression(),
        dev.vigil.activities.crypto.Sealer.ENCRYPTION,
        services.sealer().keyId());
  }

  private UploadResult doUpload(UploadRequest request) {
    ActivityExecutionContext context = Activity.getExecutionContext();
    SourceRef source = request.source();
    SealResult sealed = request.sealed();
    String backupId = sealed.backupId();
    ObjectStore store = services.store(source.repository());
    String storageClass = services.config().repositories().get(source.repository()).storageClass();
    String dataKey = dataKey(store, source, backupId);
    String manifestKey = store.key(source.name() + "/" + backupId + "/" + Spool.MANIFEST);
    Map<String, String> tags = objectTags(source, backupId);
    Map<String, String> metadata =
        Map.of(
            "vigil-sha256", sealed.sha256(),
            "vigil-key-id", sealed.keyId(),
            "vigil-compression", sealed.compression());

    UploadOutcome outcome;
    Optional<StoredObject> existing = store.head(dataKey);
    if (existing.isPresent()
        && existing.get().size() == sealed.storedBytes()
        && sealed.sha256().equals(existing.get().metadata().get("vigil-sha256"))) {
      // An earlier attempt finished the upload but not the activity: nothing to send again.
      outcome = new UploadOutcome(0, 0, sealed.storedBytes());
    } else {
      Path sealedFile = services.spool().existing(backupId, Spool.SEALED);
      UploadProgress resume =
          context
              .getHeartbeatDetails(UploadProgress.class)
              .filter(p -> dataKey.equals(p.objectKey()))
              // Else the upload the dump fed while it ran, if it did.
              .orElseGet(() -> earlyUpload(backupId, dataKey));
      if (resume != null) {
        log.info(
            "upload of {} resumes after part {} ({})",
            dataKey,
            resume.partsDone(),
            resume.uploadId());
      }
      // The CRCs the dump took while it sealed: the file is then not read again for them, and the
      // store refuses any part whose bytes on disk changed since.
      WrittenChecksums written =
          WrittenChecksums.readFrom(
                  services.spool().dir(backupId).resolve(Spool.SEALED_SUMS),
                  sealed.storedBytes(),
                  sealed.sha256())
              .orElse(null);
      outcome =
          store.uploadFile(
              sealedFile,
              dataKey,
              // With the sealed file's SHA-256, a checksum upload proves the sealed bytes arrived.
              new ObjectAttributes(storageClass, tags, metadata, sealed.sha256()),
              resume,
              context::heartbeat,
              context::heartbeat,
              written);
    }
    // The object is complete: the spool's cleanup must not abort its upload any more.
    deleteEarlyUploadRecord(backupId);
    Path dir = services.spool().dir(backupId);
    Path manifest = dir.resolve(Spool.MANIFEST);
    try {
      DumpMeta meta =
          readJson(services.spool().existing(backupId, Spool.DUMP_META), DumpMeta.class);
      ManifestMac mac =
          services
              .manifests()
              .write(
                  manifest,
                  request,
                  meta,
                  services.spool().existing(backupId, meta.listFile()),
                  store.bucket(),
                  dataKey,
                  storageClass);
      store.putFile(
          manifest, manifestKey, new ObjectAttributes(storageClass, tags, mac.metadata()));
      // Its files or tables in the catalog too, for the API to page through without the object.
      new ManifestIndex(services.catalogDataSource())
          .recordEntries(
              backupId, BackupManifest.trusted(manifest), "directory".equals(source.type()));
    } catch (IOException e) {
      throw SpoolErrors.translate(
          e,
          services.spool().root(),
          "upload",
          new VigilException(
              ErrorType.SPOOL_MISSING, "upload: cannot write manifest " + manifest + ": " + e, e));
    }
    return new UploadResult(
        store.bucket(),
        dataKey,
        manifestKey,
        storageClass,
        sealed.storedBytes(),
        outcome.parts(),
        outcome.resumedParts(),
        outcome.crc64nvme());
  }

  /** Binds ciphertext to its backup: a sealed file moved under another backup fails to open. */
  public static String aeadContext(String backupId, SourceRef source) {
    return aeadContext(backupId, source.name());
  }

  /** As {@link #aeadContext(String, SourceRef)}, from the source's name alone (a catalog row). */
  public static String aeadContext(String backupId, String source) {
    return "vigil/v1 backup=" + backupId + " source=" + source;
  }

  private static void writeJson(Path file, Object value, String step) {
    try {
      Json.MAPPER.writeValue(file.toFile(), value);
    } catch (IOException e) {
      throw SpoolErrors.translate(
          e,
          file.getParent(),
          step,
          new VigilException(
              ErrorType.SPOOL_MISSING, step + ": cannot write " + file + ": " + e, e));
    }
  }

  private static <T> T readJson(Path file, Class<T> type) {
    try {
      return Json.MAPPER.readValue(file.toFile(), type);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "cannot read spool file " + file + ": " + e);
    }
  }
}
