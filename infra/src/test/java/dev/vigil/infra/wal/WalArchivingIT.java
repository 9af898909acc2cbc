package dev.vigil.infra.wal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.activities.embedded.PostgresCluster;
import dev.vigil.activities.testing.Await;
import dev.vigil.activities.testing.S3MockFixture;
import dev.vigil.activities.wal.WalArchive;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Continuous WAL archiving end to end: a real PostgreSQL 15 cluster with {@code archive_mode = on}
 * whose {@code archive_command} runs the packaged {@code vigil wal-push} (as the postgres user when
 * the tests run as root, so the command, config, key and classpath must be readable by it) against
 * S3Mock, and {@code vigil wal-fetch} run as PostgreSQL's {@code restore_command} would run it.
 */
class WalArchivingIT {
  private static final String SOURCE = "appdb";
  private static final String PREFIX = "prod";
  private static final String SUPERUSER = "vigil_test";

  private static Path dir;
  private static Path config;
  private static Path push;
  private static Path fetch;
  private static Path asyncPush;
  private static Path spool;
  private static Path javaStarts;
  private static Path asyncCalls;
  private static String goodConfig;
  private static String bucket;
  private static String password;
  private static PostgresCluster cluster;

  @BeforeAll
  static void startArchivingCluster() throws IOException {
    S3MockFixture s3 = S3MockFixture.get();
    bucket = s3.newBucket("wal");
    dir = Files.createTempDirectory(Path.of("/tmp"), "vigil-wal-it-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    Path keyFile = readable(dir.resolve("vigil.key"), Base64.getEncoder().encodeToString(key));
    goodConfig = config(s3.endpoint().toString(), keyFile);
    config = readable(dir.resolve("vigil.yaml"), goodConfig);
    push = script("wal-push", "\"$1\"");
    fetch = script("wal-fetch", "\"$1\" \"$2\"");
    spool = shared(dir.resolve("spool"));
    shared(spool.resolve(SOURCE));
    javaStarts = writableByAll(dir.resolve("java-starts.log"));
    asyncCalls = writableByAll(dir.resolve("async-calls.log"));
    asyncPush = launcherScript();
    byte[] secret = new byte[12];
    new SecureRandom().nextBytes(secret);
    password = "pw-" + HexFormat.of().formatHex(secret);
    cluster =
        PostgresCluster.start(
            dir.resolve("pg"),
            SUPERUSER,
            password,
            Map.of(
                "wal_level", "replica",
                "archive_mode", "on",
                "archive_command", push + " %p",
                // Archived segments stay in pg_wal, so the test can compare them with the archive.
                "wal_keep_size", "1GB"));
    execute("CREATE TABLE events (id bigserial PRIMARY KEY, body text NOT NULL)");
  }

  @AfterAll
  static void stop() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  @Test
  void archiveCommandArchivesEverySwitchedSegmentSealedWithItsChecksumAndFetchGivesItBack()
      throws Exception {
    List<String> segments = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      segments.add(switchSegment());
    }
    String last = segments.get(segments.size() - 1);
    Await.until(
        Duration.ofMinutes(3), () -> archivedUpTo(last), "pg_stat_archiver reaches " + last);

    for (String segment : segments) {
      Path inPgWal = cluster.dataDir().resolve("pg_wal").resolve(segment);
      HeadObjectResponse head = head(key(segment));
      assertThat(head.metadata())
          .containsEntry(WalArchive.PLAIN_SHA256, sha256(inPgWal))
          .containsEntry(WalArchive.PLAIN_SIZE, Long.toString(Files.size(inPgWal)))
          .containsKeys("vigil-sha256", "vigil-key-id");
      // Sealed and compressed: the stored object is not the segment's bytes.
      assertThat(head.contentLength()).isLessThan(Files.size(inPgWal));
    }

    String first = segments.get(0);
    Path restored = dir.resolve("restore-" + first);
    Run fetched = run(fetch, first, restored.toString());
    assertThat(fetched.exit()).as(fetched.err()).isZero();
    assertThat(fetched.err()).isEmpty();
    assertThat(Files.mismatch(restored, cluster.dataDir().resolve("pg_wal").resolve(first)))
        .isEqualTo(-1L);
    try (Stream<Path> leftovers = Files.list(dir)) {
      assertThat(leftovers.map(path -> path.getFileName().toString()))
          .noneMatch(name -> name.endsWith(".vigil-tmp"));
    }
  }

  @Test
  void theSameSegmentPushedAgainIsAcceptedAndADifferentOneUnderItsNameIsRefusedLoudly()
      throws Exception {
    String segment = archivedSegment();
    Path inPgWal = cluster.dataDir().resolve("pg_wal").resolve(segment);
    String archivedSha = sha256(inPgWal);

    Run again = run(push, inPgWal.toString());
    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.err()).isEmpty();

    Path other = Files.createDirectories(dir.resolve("other")).resolve(segment);
    Files.write(other, Files.readAllBytes(inPgWal));
    byte[] flipped = Files.readAllBytes(other);
    flipped[flipped.length / 2] ^= 1;
    Files.write(other, flipped);
    Run refused = run(push, other.toString());

    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err().lines()).hasSize(1);
    assertThat(refused.err())
        .startsWith("vigil wal-push: WAL_CONFLICT: WAL file " + segment + " is already archived")
        .contains(archivedSha)
        .contains(sha256(other));
    // The archive still holds PostgreSQL's segment.
    assertThat(head(key(segment)).metadata()).containsEntry(WalArchive.PLAIN_SHA256, archivedSha);
  }

  @Test
  void fetchOfAMissingSegmentExits1AndWritesNothing() throws Exception {
    Path target = dir.resolve("missing");
    Run missing = run(fetch, "0000000100000000000000FF", target.toString());

    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err())
        .isEqualTo(
            "vigil wal-fetch: 0000000100000000000000FF is not in the archive of source 'appdb'"
                + " (normal at the end of recovery)\n");
    assertThat(target).doesNotExist();
  }

  @Test
  void aSegmentCopiedUnderAnotherNameFailsAuthenticationAndStopsRecovery() throws Exception {
    String segment = archivedSegment();
    String forged = "000000010000000000000F00";
    S3MockFixture.get()
        .client()
        .copyObject(
            request ->
                request
                    .sourceBucket(bucket)
                    .sourceKey(key(segment))
                    .destinationBucket(bucket)
                    .destinationKey(key(forged)));
    Path target = dir.resolve("forged");

    Run swapped = run(fetch, forged, target.toString());

    // Above 125: PostgreSQL aborts recovery instead of taking the file as the end of the archive.
    assertThat(swapped.exit()).isEqualTo(128);
    assertThat(swapped.err().lines()).hasSize(1);
    assertThat(swapped.err())
        .startsWith("vigil wal-fetch: OBJECT_CORRUPT: archived WAL file " + forged)
        .contains("failed authentication");
    assertThat(target).doesNotExist();
  }

  @Test
  void aBitFlippedInTheStoreFailsAuthenticationAndStopsRecovery() throws Exception {
    String segment = archivedSegment();
    S3MockFixture.get().flipBitOnDisk(bucket, key(segment), head(key(segment)).contentLength() / 2);
    Path target = dir.resolve("flipped");

    Run flipped = run(fetch, segment, target.toString());

    assertThat(flipped.exit()).as(flipped.err()).isEqualTo(128);
    assertThat(flipped.err().lines()).hasSize(1);
    assertThat(flipped.err())
        .startsWith("vigil wal-fetch: OBJECT_CORRUPT: archived WAL file " + segment);
    assertThat(target).doesNotExist();
  }

  @Test
  void anObjectTheStoreHoldsTruncatedStopsRecovery() throws Exception {
    String segment = archivedSegment();
    S3MockFixture.get()
        .truncateOnDisk(bucket, key(segment), head(key(segment)).contentLength() / 2);
    Path target = dir.resolve("short");

    Run truncated = run(fetch, segment, target.toString());

    // The store itself announces the shorter size: the object is damaged, not the download.
    assertThat(truncated.exit()).as(truncated.err()).isEqualTo(128);
    assertThat(truncated.err().lines()).hasSize(1);
    assertThat(truncated.err())
        .startsWith("vigil wal-fetch: OBJECT_CORRUPT: archived WAL file " + segment)
        .contains("failed authentication");
    assertThat(target).doesNotExist();
  }

  @Test
  void aDownloadThatBreaksOffIsAnOutageNotCorruption() throws Exception {
    String segment = archivedSegment();
    URI s3 = S3MockFixture.get().endpoint();
    long sealedSize = head(key(segment)).contentLength();
    assertThat(sealedSize).isGreaterThan(16_384);
    // Answers pass through whole up to half the sealed object, then the connection is cut: the
    // HEAD's answer (a few hundred bytes) fits, the GET breaks off in its body.
    try (ServerSocket proxy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      daemon(() -> cutAfter(proxy, s3, (int) (sealedSize / 2)));
      readable(
          config, goodConfig.replace(s3.toString(), "http://127.0.0.1:" + proxy.getLocalPort()));
      Path target = dir.resolve("broken-off");

      Run broken = run(fetch, segment, target.toString());

      // Not above 125: an interrupted download must not abort recovery, a retry can fix it.
      assertThat(broken.exit()).as(broken.err()).isEqualTo(3);
      assertThat(broken.err().lines()).hasSize(1);
      assertThat(broken.err())
          .startsWith(
              "vigil wal-fetch: REPOSITORY_UNAVAILABLE: the download of archived WAL file "
                  + segment)
          .contains("broke off after");
      assertThat(target).doesNotExist();
    } finally {
      readable(config, goodConfig);
    }
  }

  /** A proxy to {@code upstream} that closes each connection after {@code limit} answer bytes. */
  private static void cutAfter(ServerSocket proxy, URI upstream, int limit) {
    while (!proxy.isClosed()) {
      try {
        Socket client = proxy.accept();
        Socket server = new Socket(upstream.getHost(), upstream.getPort());
        daemon(
            () -> {
              try {
                client.getInputStream().transferTo(server.getOutputStream());
              } catch (IOException closed) {
                // the other direction ended the connection
              }
            });
        daemon(
            () -> {
              try (client;
                  server) {
                byte[] buffer = new byte[8192];
                int sent = 0;
                int read;
                while (sent < limit
                    && (read =
                            server
                                .getInputStream()
                                .read(buffer, 0, Math.min(buffer.length, limit - sent)))
                        >= 0) {
                  client.getOutputStream().write(buffer, 0, read);
                  client.getOutputStream().flush();
                  sent += read;
                }
              } catch (IOException closed) {
                // cut
              }
            });
      } catch (IOException closed) {
        return;
      }
    }
  }

  private static void daemon(Runnable task) {
    Thread thread = new Thread(task, "cutting-proxy");
    thread.setDaemon(true);
    thread.start();
  }

  @Test
  void aNameThatIsNotAWalFileIsRefusedBeforeAnythingIsRead() throws Exception {
    Path target = dir.resolve("escape");
    Run hostile =
        run(fetch, "../../other/wal/00000001/000000010000000000000001", target.toString());

    assertThat(hostile.exit()).isEqualTo(2);
    assertThat(hostile.err()).startsWith("vigil wal-fetch: WAL_NAME_INVALID: ");
    assertThat(hostile.err().lines()).hasSize(1);
    assertThat(target).doesNotExist();
  }

  @Test
  void anUnreachableStoreFailsThePushSoPostgresRetriesUntilItIsBack() throws Exception {
    int deadPort = FreePorts.find();
    readable(
        config,
        goodConfig.replace(
            S3MockFixture.get().endpoint().toString(), "http://127.0.0.1:" + deadPort));
    long failedBefore = archiverCount("failed_count");
    String segment;
    try {
      segment = switchSegment();
      Await.until(
          Duration.ofMinutes(3),
          () -> archiverCount("failed_count") > failedBefore,
          "pg_stat_archiver counts a failed archive_command");

      Run direct = run(push, cluster.dataDir().resolve("pg_wal").resolve(segment).toString());
      assertThat(direct.exit()).isEqualTo(3);
      assertThat(direct.err().lines()).hasSize(1);
      assertThat(direct.err())
          .startsWith("vigil wal-push: REPOSITORY_UNAVAILABLE: ")
          .contains("127.0.0.1:" + deadPort)
          .doesNotContain("vigil-test-secret");
      assertThat(archivedUpTo(segment)).isFalse();
    } finally {
      readable(config, goodConfig);
    }
    // A new switch wakes the archiver, which retries the waiting segment first.
    String next = switchSegment();
    Await.until(
        Duration.ofMinutes(3), () -> archivedUpTo(next), "the archiver catches up to " + next);
    assertThat(head(key(segment)).metadata()).containsKey(WalArchive.PLAIN_SHA256);
  }

  @Test
  void theAsyncPushStoresEveryReadySegmentInOneJavaStartAndTheLauncherAcceptsTheRestFromMarkers()
      throws Exception {
    awaitNoPusher();
    long failedBefore = archiverCount("failed_count");
    List<String> segments = new ArrayList<>();
    setArchiveCommand("");
    try {
      // With an empty archive_command PostgreSQL keeps marking segments ready without archiving.
      for (int i = 0; i < 5; i++) {
        segments.add(switchSegment());
      }
      for (String segment : segments) {
        assertThat(pgWal().resolve("archive_status").resolve(segment + ".ready")).exists();
      }
      Files.writeString(javaStarts, "");
      Files.writeString(asyncCalls, "");
      setArchiveCommand(asyncPush + " %p");
      String last = segments.get(segments.size() - 1);
      Await.until(
          Duration.ofMinutes(3), () -> archivedUpTo(last), "pg_stat_archiver reaches " + last);
    } finally {
      resetArchiveCommand();
    }

    // PostgreSQL asked for each segment once; only the first call started Java: it stored all
    // five, and the launcher accepted the other four from their markers.
    assertThat(Files.readAllLines(asyncCalls))
        .containsExactlyElementsOf(segments.stream().map(name -> "pg_wal/" + name).toList());
    assertThat(Files.readAllLines(javaStarts)).hasSize(1);
    assertThat(markers(segments)).isEmpty();
    assertThat(archiverCount("failed_count")).isEqualTo(failedBefore);
    for (String segment : segments) {
      Path inPgWal = pgWal().resolve(segment);
      assertThat(head(key(segment)).metadata())
          .containsEntry(WalArchive.PLAIN_SHA256, sha256(inPgWal))
          .containsEntry(WalArchive.PLAIN_SIZE, Long.toString(Files.size(inPgWal)));
      Path restored = dir.resolve("async-restore-" + segment);
      Run fetched = run(fetch, segment, restored.toString());
      assertThat(fetched.exit()).as(fetched.err()).isZero();
      assertThat(sha256(restored)).isEqualTo(sha256(inPgWal));
    }
  }

  @Test
  void segmentsThatBecomeReadyWhileThePusherLingersArePushedByTheSameWarmJvm() throws Exception {
    awaitNoPusher();
    long failedBefore = archiverCount("failed_count");
    List<String> segments = new ArrayList<>();
    Files.writeString(javaStarts, "");
    setArchiveCommand(asyncPush + " %p");
    try {
      // One at a time: each segment becomes ready only after the previous one is archived, so
      // no batch sees two; only the JVM that stays after answering PostgreSQL can push them all.
      for (int i = 0; i < 3; i++) {
        String segment = switchSegment();
        segments.add(segment);
        Await.until(
            Duration.ofMinutes(3),
            () -> archivedUpTo(segment),
            "pg_stat_archiver reaches " + segment);
      }
    } finally {
      resetArchiveCommand();
    }

    assertThat(Files.readAllLines(javaStarts)).hasSize(1);
    assertThat(archiverCount("failed_count")).isEqualTo(failedBefore);
    for (String segment : segments) {
      assertThat(head(key(segment)).metadata())
          .containsEntry(WalArchive.PLAIN_SHA256, sha256(pgWal().resolve(segment)));
    }
    awaitNoPusher();
    assertThat(markers(segments)).isEmpty();
  }

  @Test
  void aMarkerThatDoesNotMatchTheSegmentIsNotTrustedAndTheSegmentIsPushedForReal()
      throws Exception {
    awaitNoPusher();
    String segment;
    setArchiveCommand("");
    try {
      segment = switchSegment();
      Path inPgWal = pgWal().resolve(segment);
      // What a push of other bytes under this name left (another cluster archiving as 'appdb'
      // into the same spool): the right size, another SHA-256.
      byte[] other = Files.readAllBytes(inPgWal);
      other[other.length / 3] ^= 1;
      var digest = Digests.sha256();
      Path marker = spool.resolve(SOURCE).resolve(segment + ".ok");
      Files.writeString(
          marker, HexFormat.of().formatHex(digest.digest(other)) + " " + other.length + "\n");
      assertThat(archived(segment)).isFalse();

      Run pushed = run(asyncPush, inPgWal.toString());

      assertThat(pushed.exit()).as(pushed.err()).isZero();
      assertThat(pushed.err()).isEmpty();
      assertThat(head(key(segment)).metadata())
          .containsEntry(WalArchive.PLAIN_SHA256, sha256(inPgWal));
      assertThat(marker).doesNotExist();
    } finally {
      resetArchiveCommand();
    }
    String next = switchSegment();
    Await.until(
        Duration.ofMinutes(3), () -> archivedUpTo(next), "the archiver catches up to " + next);
  }

  @Test
  void anAsyncPushToAnUnreachableStoreLeavesNoMarkerAndExits3() throws Exception {
    awaitNoPusher();
    int deadPort = FreePorts.find();
    List<String> segments = new ArrayList<>();
    setArchiveCommand("");
    try {
      for (int i = 0; i < 3; i++) {
        segments.add(switchSegment());
      }
      readable(
          config,
          goodConfig.replace(
              S3MockFixture.get().endpoint().toString(), "http://127.0.0.1:" + deadPort));

      Run failed = run(asyncPush, pgWal().resolve(segments.get(0)).toString());

      assertThat(failed.exit()).isEqualTo(3);
      assertThat(failed.err().lines()).hasSize(1);
      assertThat(failed.err())
          .startsWith("vigil wal-push: REPOSITORY_UNAVAILABLE: ")
          .contains("127.0.0.1:" + deadPort);
      assertThat(markers(segments)).isEmpty();
      for (String segment : segments) {
        assertThat(archived(segment)).as(segment).isFalse();
      }
    } finally {
      readable(config, goodConfig);
      resetArchiveCommand();
    }
    String last = segments.get(segments.size() - 1);
    Await.until(
        Duration.ofMinutes(3), () -> archivedUpTo(last), "the archiver catches up to " + last);
  }

  /** Waits until no pusher of an earlier async call lingers (it would push this test's files). */
  private static void awaitNoPusher() throws InterruptedException {
    Await.until(
        Duration.ofSeconds(30),
        () -> !Files.exists(spool.resolve(SOURCE).resolve(".pusher.pid")),
        "the lingering pusher exits and withdraws its pid file");
  }

  private static Path pgWal() {
    return cluster.dataDir().resolve("pg_wal");
  }

  /** Points the running cluster's archive_command elsewhere ('' keeps segments ready). */
  private static void setArchiveCommand(String command) throws InterruptedException {
    execute("ALTER SYSTEM SET archive_command = '" + command.replace("'", "''") + "'");
    reload();
  }

  private static void resetArchiveCommand() throws InterruptedException {
    execute("ALTER SYSTEM RESET archive_command");
    reload();
  }

  private static void reload() throws InterruptedException {
    execute("SELECT pg_reload_conf()");
    // The archiver rereads its configuration on the signal, asynchronously.
    Thread.sleep(1000);
  }

  /** The markers the spool holds for {@code segments}. */
  private static List<String> markers(List<String> segments) {
    return segments.stream()
        .filter(segment -> Files.exists(spool.resolve(SOURCE).resolve(segment + ".ok")))
        .toList();
  }

  private static boolean archived(String segment) {
    try {
      head(key(segment));
      return true;
    } catch (S3Exception absent) {
      if (absent.statusCode() == 404) {
        return false;
      }
      throw absent;
    }
  }

  /** Switches to a new segment and waits until the archiver has archived the one it closed. */
  private static String archivedSegment() throws SQLException, InterruptedException {
    String segment = switchSegment();
    Await.until(
        Duration.ofMinutes(3), () -> archivedUpTo(segment), "pg_stat_archiver reaches " + segment);
    return segment;
  }

  /** Writes some WAL and switches to a new segment; returns the name of the one it closed. */
  private static String switchSegment() throws SQLException {
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      statement.execute(
          "INSERT INTO events (body) SELECT md5(g::text) FROM generate_series(1, 2000) g");
      try (ResultSet row = statement.executeQuery("SELECT pg_walfile_name(pg_switch_wal())")) {
        row.next();
        return row.getString(1);
      }
    }
  }

  /** Whether the archiver has archived {@code segment} or a later one. */
  private static boolean archivedUpTo(String segment) {
    try (Connection connection = connect();
        Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")) {
      row.next();
      String last = row.getString(1);
      // Segment names of one timeline sort in WAL order.
      return last.length() == 24 && last.compareTo(segment) >= 0;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long archiverCount(String column) {
    try (Connection connection = connect();
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT " + column + " FROM pg_stat_archiver")) {
      row.next();
      return row.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void execute(String sql) {
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Connection connect() throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", SUPERUSER);
    properties.setProperty("password", password);
    return DriverManager.getConnection(cluster.jdbcUrl("postgres"), properties);
  }

  private static String key(String walFile) {
    return PREFIX + "/" + SOURCE + "/wal/" + walFile.substring(0, 8) + "/" + walFile + ".vgl";
  }

  private static HeadObjectResponse head(String key) {
    return S3MockFixture.get().client().headObject(request -> request.bucket(bucket).key(key));
  }

  private static String sha256(Path file) throws IOException {
    var digest = Digests.sha256();
    digest.update(Files.readAllBytes(file));
    return HexFormat.of().formatHex(digest.digest());
  }

  private static String config(String endpoint, Path keyFile) {
    return """
        repositories:
          main:
            endpoint: %s
            region: us-east-1
            bucket: %s
            prefix: %s
            path-style-access: true
        encryption:
          key-file: %s
        sources:
          %s:
            type: postgres
            host: 127.0.0.1
            port: 5432
            database: app
            user: backup
        """
        .formatted(endpoint, bucket, PREFIX, keyFile, SOURCE);
  }

  private static Path script(String verb, String arguments) throws IOException {
    return PackagedCli.script(dir, verb, arguments, config, SOURCE);
  }

  /**
   * {@code ./vigil wal-push %p --spool …} as PostgreSQL runs it, through the real launcher. Each
   * call is logged; so is each JVM start, through a {@code java} on the PATH that logs and runs the
   * real one.
   */
  private static Path launcherScript() throws IOException {
    Path launcher = Path.of("target").toAbsolutePath().getParent().getParent().resolve("vigil");
    assertThat(launcher).isExecutable();
    Path bin = shared(dir.resolve("bin"));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    PackagedCli.executable(
        bin.resolve("java"), "echo \"$$\" >> " + javaStarts + "\nexec " + java + " \"$@\"\n");
    return PackagedCli.executable(
        dir.resolve("wal-push-async.sh"),
        "export PATH="
            + bin
            + ":$PATH\necho \"$1\" >> "
            + asyncCalls
            + "\nexec "
            + launcher
            + " wal-push \"$1\" --spool "
            + spool
            + " --config "
            + config
            + " --source "
            + SOURCE
            + "\n");
  }

  /** A directory the postgres user (the archiver) and the test both write into. */
  private static Path shared(Path directory) throws IOException {
    Files.createDirectories(directory);
    Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxrwxrwx"));
    return directory;
  }

  private static Path writableByAll(Path file) throws IOException {
    Files.writeString(file, "");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
    return file;
  }

  private static Path readable(Path file, String content) throws IOException {
    return PackagedCli.readable(file, content);
  }

  private record Run(int exit, String out, String err) {}

  private static Run run(Path script, String... arguments) throws Exception {
    List<String> command = new ArrayList<>(List.of(script.toString()));
    command.addAll(List.of(arguments));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process process =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    assertThat(process.waitFor(2, TimeUnit.MINUTES)).as(String.join(" ", command)).isTrue();
    return new Run(
        process.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}
