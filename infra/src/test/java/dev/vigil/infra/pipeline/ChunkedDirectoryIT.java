package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.cas.ChunkCatalog;
import dev.vigil.activities.cas.ChunkCrypto;
import dev.vigil.activities.cas.PackSweeper;
import dev.vigil.activities.check.CheckProblem;
import dev.vigil.activities.check.RepositoryChecks;
import dev.vigil.activities.common.Crc64Nvme;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.DirectorySourceConfig;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.source.ChunkedDumper;
import dev.vigil.activities.source.FileCache;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.starter.BackupClient;
import dev.vigil.starter.DrillClient;
import dev.vigil.starter.RestoreClient;
import dev.vigil.starter.RetentionClient;
import dev.vigil.workflows.backup.BackupStart;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.drill.DrillReport;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.retention.RehydrateRequest;
import dev.vigil.workflows.retention.RehydrateResult;
import dev.vigil.workflows.retention.RetentionResult;
import io.temporal.client.WorkflowFailedException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Directory backups in the chunked layout through the real pipeline (S3Mock over HTTP, catalog in
 * PostgreSQL, Temporal's test server): dedup across backups, byte-for-byte restores, tampered and
 * missing packs, and prune after retention, including a sweep that dies between its catalog update
 * and its deletes.
 */
class ChunkedDirectoryIT {
  private static final AtomicLong CLOCK = new AtomicLong(System.currentTimeMillis());

  @TempDir Path dir;
  private PipelineHarness harness;
  private Path tree;
  private BackupClient backups;
  private final Map<String, ObjectStore> unwrapped = new LinkedHashMap<>();

  @BeforeEach
  void start() throws IOException {
    harness = new PipelineHarness(dir);
    tree = Files.createDirectories(dir.resolve("tree"));
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void unchangedFilesAreNotReadAgainButAFileRewrittenWithItsOldSizeAndMtimeIs() throws Exception {
    weights("weights/w1.bin", 9 << 20, 1);
    texts(50);
    // Files this close to a dump's start are not trusted to the file cache (a write in the same
    // clock tick as the read): let the tree age past that first.
    Thread.sleep(2_100);
    startWorker("");
    backup();
    Path cache = FileCache.fileOf(harness.spool, "models");
    assertThat(Files.readAllLines(cache)).hasSize(51);

    // text-007 changes; text-008 gets other bytes of its old size and its old mtime back.
    Files.writeString(tree.resolve("data/text-007.txt"), "changed seven\n".repeat(50));
    Path same = tree.resolve("data/text-008.txt");
    FileTime mtime = Files.getLastModifiedTime(same);
    byte[] old = Files.readAllBytes(same);
    byte[] forged = old.clone();
    forged[0] = (byte) (forged[0] == 'X' ? 'Y' : 'X');
    Files.write(same, forged);
    Files.setLastModifiedTime(same, mtime);
    String second = backup();

    Path restored = dir.resolve("restored");
    assertThat(restore(second, restored).status()).isEqualTo("RESTORED");
    assertThat(listing(restored)).isEqualTo(listing(tree));
    assertThat(Files.readAllBytes(restored.resolve("data/text-008.txt"))).isEqualTo(forged);

    // A third dump on this worker reads only the two files changed just before the second one
    // (too recent to be cached then); the 9 MiB of weights and 48 texts are not read at all.
    ChunkedDumper.Result third = directDump("models-third");
    assertThat(third.filesUnchanged()).isEqualTo(49);
    assertThat(third.bytesRead())
        .isEqualTo(Files.size(tree.resolve("data/text-007.txt")) + forged.length);
    assertThat(third.packsUploaded()).isZero();
  }

  /** A chunked dump of {@code models} run directly on the worker's services, outside a workflow. */
  private ChunkedDumper.Result directDump(String backupId) throws IOException {
    VigilServices services = harness.services();
    services
        .catalog()
        .beginBackup(
            new BackupStart(
                backupId,
                null,
                new SourceRef("models", "directory", "model", "main"),
                "backup-" + backupId,
                "run-" + backupId,
                "host",
                "test",
                System.currentTimeMillis()));
    return new ChunkedDumper()
        .dump(
            (DirectorySourceConfig) services.config().sources().get("models"),
            Files.createDirectories(harness.spool.resolve(backupId)),
            backupId,
            new ChunkCrypto(services.keys().current()),
            new ChunkCatalog(services.catalogDataSource()),
            services.store("main"),
            "STANDARD",
            progress -> {});
  }

  @Test
  void secondBackupAfterOnePercentChangedUploadsOnlyTheChangedChunksAndBothRestoreExactly()
      throws Exception {
    weights("weights/w1.bin", 9 << 20, 1);
    weights("weights/w2.bin", 3 << 20, 2);
    texts(200);
    Files.createDirectories(tree.resolve("empty"));
    Files.createSymbolicLink(tree.resolve("latest"), Path.of("weights"));
    Files.writeString(tree.resolve("run.sh"), "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(
        tree.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-x---"));
    Files.setPosixFilePermissions(
        tree.resolve("empty"), PosixFilePermissions.fromString("rwx------"));
    startWorker("", "drills:\n  chunked:\n    sources: [models]\n");

    String first = backup();
    Map<String, Long> packsAfterFirst = packs();
    List<String> firstTree = listing(tree);
    // 1 % of the files change: two of the 200 texts.
    Files.writeString(tree.resolve("data/text-007.txt"), "changed seven\n".repeat(50));
    Files.writeString(tree.resolve("data/text-150.txt"), "changed one fifty\n".repeat(50));
    String second = backup();
    Map<String, Long> packsAfterSecond = packs();

    long firstBytes = packsAfterFirst.values().stream().mapToLong(Long::longValue).sum();
    assertThat(firstBytes).isGreaterThan(12L << 20);
    Map<String, Long> added = new LinkedHashMap<>(packsAfterSecond);
    added.keySet().removeAll(packsAfterFirst.keySet());
    assertThat(added).hasSize(1);
    assertThat(added.values().iterator().next()).isLessThan(4_096);
    assertThat(packsAfterSecond.keySet()).containsAll(packsAfterFirst.keySet());
    // The texts compress (per file); the random weights are stored as they are.
    assertThat(firstBytes).isLessThan((12L << 20) + 200 * 1_000);

    Path restoredFirst = dir.resolve("restored-first");
    Path restoredSecond = dir.resolve("restored-second");
    assertThat(restore(first, restoredFirst).status()).isEqualTo("RESTORED");
    assertThat(restore(second, restoredSecond).status()).isEqualTo("RESTORED");
    assertThat(listing(restoredFirst)).isEqualTo(firstTree);
    assertThat(listing(restoredSecond)).isEqualTo(listing(tree));
    assertThat(Files.readSymbolicLink(restoredSecond.resolve("latest")))
        .isEqualTo(Path.of("weights"));
    assertThat(restoredSecond.resolve("empty")).isEmptyDirectory();

    // `vigil rehydrate` extracts a chunked backup out of its packs too.
    RetentionClient retention =
        new RetentionClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());
    Path rehydrated = dir.resolve("rehydrated-first");
    RehydrateResult result =
        retention.awaitRehydrate(
            retention.rehydrate(
                new RehydrateRequest(
                    "models", first, rehydrated.toString(), 1, CLOCK.addAndGet(1000), "test")));
    assertThat(result.files()).isEqualTo(203);
    assertThat(listing(rehydrated)).isEqualTo(firstTree);

    // A drill restores the newest backup through the same step and validates it.
    DrillClient drills =
        new DrillClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());
    DrillReport report = drills.await(drills.start("chunked", CLOCK.addAndGet(1000), "test"));
    assertThat(report.failures()).isEmpty();
    assertThat(report.status()).isEqualTo(DrillReport.PASSED);
    assertThat(report.components())
        .singleElement()
        .satisfies(
            component -> {
              assertThat(component.backupId()).isEqualTo(second);
              assertThat(component.status()).isEqualTo("RESTORED");
              assertThat(component.passed()).isTrue();
            });
  }

  @Test
  void aTamperedPackFailsTheRestoreAndCheckAndAMissingPackFailsThemToo() throws Exception {
    weights("weights/w1.bin", 5 << 20, 3);
    texts(20);
    startWorker("");
    String backupId = backup();
    String pack = packs().keySet().iterator().next();
    RepositoryChecks checks = new RepositoryChecks(harness.services());
    RepositoryChecks.Report clean = checks.run(List.of("models"), true, 1, Instant.now());
    assertThat(clean.problemCounts()).isEmpty();
    assertThat(String.join("\n", notes(clean)))
        // 5 chunks of the 5 MiB weights (1 MiB each) and one per text.
        .containsPattern("25 chunks in 1 packs \\(5.0 MiB\\) decrypt and match their ids");

    harness.s3.flipBitOnDisk(harness.bucket, pack, 100);
    // The listing check sees the pack whole; reading the data finds the damaged chunk.
    assertThat(checks.objects(List.of("models")).ok()).isTrue();
    assertThat(problems(checks.run(List.of("models"), true, 1, Instant.now())))
        .singleElement()
        .satisfies(
            problem -> {
              assertThat(problem.kind()).isEqualTo("damaged");
              assertThat(problem.message()).contains("in pack " + pack + " at offset ");
            });
    assertFails(
        () -> restore(backupId, dir.resolve("tampered")),
        "OBJECT_CORRUPT",
        "in pack " + pack + " at offset ");
    assertThat(dir.resolve("tampered")).doesNotExist();

    harness.s3.flipBitOnDisk(harness.bucket, pack, 100);
    assertThat(restore(backupId, dir.resolve("intact")).status()).isEqualTo("RESTORED");

    harness.s3.client().deleteObject(b -> b.bucket(harness.bucket).key(pack));
    assertThat(problems(checks.objects(List.of("models"))))
        .singleElement()
        .satisfies(
            problem -> {
              assertThat(problem.kind()).isEqualTo("missing");
              assertThat(problem.message())
                  .contains("backup " + backupId + ": pack " + pack + " (chunks of this backup)");
            });
    assertFails(
        () -> restore(backupId, dir.resolve("missing")),
        "CHUNK_MISSING",
        "pack " + pack + " (chunk ");
    assertThat(dir.resolve("missing")).doesNotExist();
  }

  @Test
  void aPackCorruptedInTheStoreFailsAParallelRestoreAndTheReplacedTargetStaysAsItWas()
      throws Exception {
    // 40 MiB of weights: three 16 MiB packs, fetched and opened at once.
    weights("weights/w1.bin", 40 << 20, 4);
    texts(100);
    startWorker("");
    String backupId = backup();
    Map<String, Long> packs = packs();
    assertThat(packs).hasSizeGreaterThanOrEqualTo(3);

    Path target = dir.resolve("restored");
    RestoreResult clean = restore(backupId, target);
    assertThat(clean.status()).isEqualTo("RESTORED");
    assertThat(listing(target)).isEqualTo(listing(tree));
    // Each file was hashed as it was written; the validate step walks the tree, it does not read
    // the 40 MiB again.
    assertThat(clean.validation().checks())
        .singleElement()
        .satisfies(
            check ->
                assertThat(check)
                    .contains("101 files (")
                    .contains("SHA-256 each computed as the restore wrote it"));

    List<String> before = listing(target);
    List<String> keys = new ArrayList<>(packs.keySet());
    String damaged = keys.get(keys.size() - 1);
    harness.s3.flipBitOnDisk(harness.bucket, damaged, 1_000);
    assertFails(
        () -> restore(backupId, target, true),
        "OBJECT_CORRUPT",
        "in pack " + damaged + " at offset ");
    assertThat(listing(target)).isEqualTo(before);
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left.map(path -> path.getFileName().toString()))
          .noneMatch(name -> name.contains(".vigil-staging-") || name.contains(".vigil-replaced-"));
    }
  }

  @Test
  void checksumModeVerifiesNewPacksWithoutReadingThemBackAndAReplacedPackIsNeverArchived()
      throws Exception {
    weights("weights/w1.bin", 20 << 20, 5);
    texts(50);
    startWorker("");
    List<String> reads = watchStore(false);

    backup();
    assertThat(packs()).hasSizeGreaterThan(1);
    // Several packs went up, and the verify step proved them by the store's CRC64NVME alone.
    assertThat(reads).noneMatch(key -> key.contains("/packs/"));

    // The store now holds other bytes of the same size than Vigil sent (and their checksum).
    Files.writeString(tree.resolve("data/text-001.txt"), "new content\n".repeat(30));
    watchStore(true);
    SourceBackupResult replaced = backupResult();
    assertThat(replaced.status()).isNotEqualTo("ARCHIVED");
    assertThat(replaced.failureType()).isEqualTo("UPLOAD_MISMATCH");
    assertThat(replaced.failure()).contains("/packs/").contains("CRC64NVME");
    assertThat(status(replaced.backupId())).isNotEqualTo("ARCHIVED");
  }

  @Test
  void readBackModeStillReadsEveryNewPackBackAndCatchesAReplacedOne() throws Exception {
    weights("weights/w1.bin", 6 << 20, 6);
    texts(20);
    startWorker("", "", "    verify-upload: read-back\n");
    List<String> reads = watchStore(false);

    backup();
    assertThat(reads).containsAll(packs().keySet());

    Files.writeString(tree.resolve("data/text-002.txt"), "other content\n".repeat(30));
    watchStore(true);
    SourceBackupResult replaced = backupResult();
    assertThat(replaced.status()).isNotEqualTo("ARCHIVED");
    assertThat(replaced.failureType()).isEqualTo("UPLOAD_MISMATCH");
    assertThat(replaced.failure()).contains("reads back with another SHA-256");
  }

  @Test
  void severalPacksUploadAtOnceButNoMoreThanTheUploadConcurrencyAndTheSpoolStaysBounded()
      throws Exception {
    weights("weights/w1.bin", 90 << 20, 7);
    startWorker("", "", "    upload-concurrency: 3\n");
    Field field = VigilServices.class.getDeclaredField("stores");
    field.setAccessible(true);
    @SuppressWarnings("unchecked")
    Map<String, ObjectStore> stores = (Map<String, ObjectStore>) field.get(harness.services());
    ObjectStore real = stores.get("main");
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    AtomicInteger maxSpooled = new AtomicInteger();
    stores.put(
        "main",
        (ObjectStore)
            Proxy.newProxyInstance(
                ObjectStore.class.getClassLoader(),
                new Class<?>[] {ObjectStore.class},
                (proxy, method, args) -> {
                  boolean pack =
                      method.getName().matches("uploadFile|putFile")
                          && ((String) args[1]).contains("/packs/");
                  if (pack) {
                    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                    try (Stream<Path> spooled = Files.list(((Path) args[0]).getParent())) {
                      maxSpooled.accumulateAndGet(
                          (int)
                              spooled
                                  .filter(p -> p.getFileName().toString().startsWith("pack-"))
                                  .count(),
                          Math::max);
                    }
                    // A slow store: uploads pile up while the chunker fills the next packs.
                    Thread.sleep(1_500);
                  }
                  try {
                    return method.invoke(real, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  } finally {
                    if (pack) {
                      inFlight.decrementAndGet();
                    }
                  }
                }));

    String backupId = backup();

    assertThat(packs()).hasSizeGreaterThanOrEqualTo(5);
    assertThat(maxInFlight.get()).isEqualTo(3);
    // The packs being uploaded and the one filling, never more.
    assertThat(maxSpooled.get()).isBetween(3, 4);
    assertThat(restore(backupId, dir.resolve("restored")).status()).isEqualTo("RESTORED");
    assertThat(listing(dir.resolve("restored"))).isEqualTo(listing(tree));
  }

  @Test
  void pruneKeepsEveryKeptBackupRestorableAndDeletesOnlyUnreferencedPacksEvenAfterACrash()
      throws Exception {
    // 20 MiB of weights: its first four chunks fill a pack no later backup needs.
    weights("weights/old.bin", 20 << 20, 4);
    texts(30);
    startWorker("    retention:\n      keep-last: 2\n");
    String first = backup();
    Map<String, Long> firstPacks = packs();
    Files.delete(tree.resolve("weights/old.bin"));
    Files.writeString(tree.resolve("data/text-001.txt"), "second version\n".repeat(40));
    String second = backup();
    List<String> secondTree = listing(tree);
    Files.writeString(tree.resolve("data/text-001.txt"), "third version\n".repeat(40));
    weights("weights/new.bin", 1 << 20, 5);
    String third = backup();
    List<String> thirdTree = listing(tree);
    ChunkCatalog chunks = new ChunkCatalog(harness.services().catalogDataSource());
    List<String> secondPacks = keys(chunks.packsOf(second));
    List<String> thirdPacks = keys(chunks.packsOf(third));
    String onlyFirst =
        firstPacks.keySet().stream()
            .filter(key -> !secondPacks.contains(key) && !thirdPacks.contains(key))
            .findFirst()
            .orElseThrow();

    RetentionClient retention =
        new RetentionClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());
    RetentionResult run =
        retention.await(retention.start(false, List.of("models"), CLOCK.addAndGet(1000), "test"));

    assertThat(run.sources())
        .singleElement()
        .satisfies(source -> assertThat(source.failures()).isEmpty());
    assertThat(status(first)).isEqualTo("PRUNED");
    assertThat(packs()).doesNotContainKey(onlyFirst);
    assertThat(packs().keySet()).containsAll(secondPacks).containsAll(thirdPacks);
    assertThat(chunks.packsOf(second)).allMatch(pack -> pack.state().equals("LIVE"));
    assertThat(listing(restore(second, "after-prune-second"))).isEqualTo(secondTree);
    assertThat(listing(restore(third, "after-prune-third"))).isEqualTo(thirdTree);

    // The second backup goes too, and the sweep dies after marking its packs, before deleting.
    harness.postgres.execute(
        harness.catalogDb,
        "UPDATE vigil.backup SET status = 'PRUNING' WHERE backup_id = '" + second + "'");
    ObjectStore store = harness.services().store("main");
    List<String> onlySecond =
        secondPacks.stream().filter(key -> !thirdPacks.contains(key)).toList();
    assertThat(onlySecond).isNotEmpty();
    assertThatThrownBy(() -> PackSweeper.sweep(chunks, failingDeletes(store), "main", "models"))
        .isInstanceOf(VigilException.class)
        .hasMessageContaining("simulated crash");
    assertThat(packs().keySet()).containsAll(onlySecond).containsAll(thirdPacks);
    assertThat(chunks.packsOf(third)).allMatch(pack -> pack.state().equals("LIVE"));
    assertThat(listing(restore(third, "after-crash-third"))).isEqualTo(thirdTree);
    // A backup that read the chunk index before the mark cannot reference a marked pack.
    harness.postgres.execute(
        harness.catalogDb,
        "INSERT INTO vigil.backup (backup_id, source, source_type, kind, repository, status,"
            + " started_at) VALUES ('models-racing', 'models', 'directory', 'model', 'main',"
            + " 'RUNNING', now())");
    assertThatThrownBy(() -> chunks.referencePacks("main", "models", "models-racing", onlySecond))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.DUMP_FAILED))
        .hasMessageContaining("was pruned while this backup reused it");
    // A new backup of content only a marked pack holds uploads it again rather than reuse it.
    Files.writeString(tree.resolve("data/text-001.txt"), "second version\n".repeat(40));
    String fourth = backup();
    List<String> fourthTree = listing(tree);
    assertThat(keys(chunks.packsOf(fourth))).doesNotContainAnyElementsOf(onlySecond);

    PackSweeper.Swept swept = PackSweeper.sweep(chunks, store, "main", "models");

    assertThat(swept.packs()).isEqualTo(onlySecond.size());
    assertThat(packs().keySet()).doesNotContainAnyElementsOf(onlySecond).containsAll(thirdPacks);
    assertThat(listing(restore(third, "after-sweep-third"))).isEqualTo(thirdTree);
    assertThat(listing(restore(fourth, "after-sweep-fourth"))).isEqualTo(fourthTree);
  }

  @Test
  void anArchivedBackupMovesOnlyItsSnapshotToTheColdClassAndRehydratesFromItsPacks()
      throws Exception {
    weights("weights/w.bin", 2 << 20, 6);
    texts(10);
    startWorker("    retention:\n      keep-last: 1\n      archive-after: 30d\n");
    String older = backup();
    List<String> olderTree = listing(tree);
    Files.writeString(tree.resolve("data/text-002.txt"), "newer\n");
    backup();
    Map<String, Long> packsBefore = packs();
    harness.postgres.execute(
        harness.catalogDb,
        "UPDATE vigil.backup SET consistent_at = now() - interval '40 days' WHERE backup_id = '"
            + older
            + "'");
    RetentionClient retention =
        new RetentionClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());

    RetentionResult run =
        retention.await(retention.start(false, List.of("models"), CLOCK.addAndGet(1000), "test"));

    assertThat(run.succeeded()).isTrue();
    assertThat(status(older)).isEqualTo("ARCHIVED");
    String coldKey =
        harness.catalog().stream()
            .filter(row -> row.backupId().equals(older))
            .findFirst()
            .orElseThrow()
            .objectKey();
    assertThat(coldKey).endsWith("/cold/data.vgl");
    assertThat(
            harness
                .s3
                .client()
                .headObject(b -> b.bucket(harness.bucket).key(coldKey))
                .storageClassAsString())
        .isEqualTo("GLACIER");
    // The packs are shared with the newer backup: they stay where they are.
    assertThat(packs()).isEqualTo(packsBefore);
    assertThat(new RepositoryChecks(harness.services()).objects(List.of("models")).ok()).isTrue();
    Path rehydrated = dir.resolve("rehydrated-older");
    retention.awaitRehydrate(
        retention.rehydrate(
            new RehydrateRequest(
                "models", older, rehydrated.toString(), 1, CLOCK.addAndGet(1000), "test")));
    assertThat(listing(rehydrated)).isEqualTo(olderTree);
  }

  private void startWorker(String extra) throws IOException {
    startWorker(extra, "");
  }

  private void startWorker(String extra, String topLevel) throws IOException {
    startWorker(extra, topLevel, "");
  }

  private void startWorker(String extra, String topLevel, String repository) throws IOException {
    String yaml =
        harness
                .config(
                    harness.bucket,
                    harness.postgres.cluster().port(),
                    harness.postgres.passwordFile().toString(),
                    tree.toString(),
                    harness.spool)
                .replace("    kind: model\n", "    kind: model\n    layout: chunked\n" + extra)
                .replace(
                    "    path-style-access: true\n", "    path-style-access: true\n" + repository)
            + topLevel;
    VigilConfig config = harness.load(yaml);
    backups = harness.startWorker(config);
    harness.services().catalog().migrate();
  }

  private SourceBackupResult backupResult() {
    PlanResult plan =
        backups.await(backups.start("test", List.of("models"), CLOCK.addAndGet(1000), "test"));
    return plan.results().get(0);
  }

  private String backup() {
    SourceBackupResult result = backupResult();
    assertThat(result.status()).as(String.valueOf(result)).isEqualTo("ARCHIVED");
    return result.backupId();
  }

  private RestoreResult restore(String backupId, Path target) {
    return restore(backupId, target, false);
  }

  private RestoreResult restore(String backupId, Path target, boolean force) {
    RestoreClient client =
        new RestoreClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());
    String id =
        client.start(
            new RestoreRequest(
                new RestoreSelector("models", backupId, 0),
                RestoreTarget.directory(target.toString()),
                force,
                2,
                "chunked-it"),
            CLOCK.addAndGet(1000));
    return client.await(id);
  }

  private Path restore(String backupId, String name) {
    Path target = dir.resolve(name);
    assertThat(restore(backupId, target).status()).isEqualTo("RESTORED");
    return target;
  }

  private String status(String backupId) {
    return harness.catalog().stream()
        .filter(row -> row.backupId().equals(backupId))
        .findFirst()
        .orElseThrow()
        .status();
  }

  /** Pack objects in the bucket, by key, with their sizes. */
  private Map<String, Long> packs() {
    Map<String, Long> packs = new LinkedHashMap<>();
    for (S3Object object :
        harness
            .s3
            .client()
            .listObjectsV2Paginator(b -> b.bucket(harness.bucket).prefix("models/packs/"))
            .contents()) {
      packs.put(object.key(), object.size());
    }
    return packs;
  }

  private static List<CheckProblem> problems(RepositoryChecks.Report report) {
    return report.results().stream().flatMap(result -> result.problems().stream()).toList();
  }

  private static List<String> notes(RepositoryChecks.Report report) {
    return report.results().stream().flatMap(result -> result.notes().stream()).toList();
  }

  private static List<String> keys(List<ChunkCatalog.Pack> packs) {
    return packs.stream().map(ChunkCatalog.Pack::key).toList();
  }

  /**
   * Puts a proxy around the worker's store of repository "main" that records the keys it reads and,
   * with {@code replacePacks}, replaces every pack right after its upload with other bytes of the
   * same size, stored with the store's own CRC64NVME of them (as a store that lost or swapped the
   * bytes Vigil sent would hold them).
   */
  @SuppressWarnings("unchecked")
  private List<String> watchStore(boolean replacePacks) throws Exception {
    Field field = VigilServices.class.getDeclaredField("stores");
    field.setAccessible(true);
    Map<String, ObjectStore> stores = (Map<String, ObjectStore>) field.get(harness.services());
    ObjectStore real = unwrapped.computeIfAbsent("main", name -> stores.get(name));
    List<String> reads = new CopyOnWriteArrayList<>();
    ObjectStore watched =
        (ObjectStore)
            Proxy.newProxyInstance(
                ObjectStore.class.getClassLoader(),
                new Class<?>[] {ObjectStore.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("open") || method.getName().equals("read")) {
                    reads.add((String) args[0]);
                  }
                  Object result;
                  try {
                    result = method.invoke(real, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                  if (replacePacks
                      && method.getName().matches("uploadFile|putFile")
                      && ((String) args[1]).contains("/packs/")) {
                    byte[] other = new byte[(int) Files.size((Path) args[0])];
                    new Random(99).nextBytes(other);
                    harness
                        .s3
                        .client()
                        .putObject(
                            b ->
                                b.bucket(harness.bucket)
                                    .key((String) args[1])
                                    .checksumCRC64NVME(Crc64Nvme.base64(Crc64Nvme.of(other))),
                            RequestBody.fromBytes(other));
                  }
                  return result;
                });
    stores.put("main", watched);
    return reads;
  }

  /** The store, except that every delete fails as a crash at that point would stop it. */
  private static ObjectStore failingDeletes(ObjectStore store) {
    return (ObjectStore)
        Proxy.newProxyInstance(
            ObjectStore.class.getClassLoader(),
            new Class<?>[] {ObjectStore.class},
            (proxy, method, args) -> {
              if (method.getName().equals("delete")) {
                throw new VigilException(
                    ErrorType.REPOSITORY_UNAVAILABLE, "simulated crash before " + args[0]);
              }
              try {
                return method.invoke(store, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  private void weights(String path, int size, int seed) throws IOException {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    Path file = tree.resolve(path);
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
  }

  private void texts(int count) throws IOException {
    Path data = Files.createDirectories(tree.resolve("data"));
    for (int i = 0; i < count; i++) {
      Files.writeString(
          data.resolve(String.format("text-%03d.txt", i)),
          ("conversation " + i + ": hello, how can I help you today?\n").repeat(40),
          StandardCharsets.UTF_8);
    }
  }

  static void assertFails(Runnable restore, String type, String message) {
    assertThatThrownBy(restore::run)
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(
            failure -> {
              assertThat(Failures.type(failure)).isEqualTo(type);
              assertThat(Failures.reason(failure)).contains(message);
            });
  }

  /** Every entry: path, type, size, SHA-256, permissions, mtime of files, link targets. */
  static List<String> listing(Path root) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path path : walk.filter(p -> !p.equals(root)).sorted().toList()) {
        String relative = root.relativize(path).toString();
        if (Files.isSymbolicLink(path)) {
          lines.add(relative + " -> " + Files.readSymbolicLink(path));
        } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
          lines.add(
              relative + "/ " + PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
        } else {
          try (InputStream in = Files.newInputStream(path)) {
            lines.add(
                relative
                    + " "
                    + Files.size(path)
                    + " "
                    + Digests.sha256Hex(in)
                    + " "
                    + PosixFilePermissions.toString(Files.getPosixFilePermissions(path))
                    + " "
                    + Files.getLastModifiedTime(path).toMillis());
          }
        }
      }
    }
    return lines;
  }
}
