package dev.vigil.activities.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.config.FilesystemRepositoryConfig;
import dev.vigil.workflows.backup.UploadProgress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A filesystem repository survives the way a crash breaks writes: a real JVM writing an object is
 * killed with SIGKILL in the middle of a part, and the repository shows no object (not even a short
 * one), and the next attempt resumes from the last heartbeat and completes.
 */
class FilesystemCrashIT {
  private static final long PART_SIZE = 1024 * 1024;
  private static final String KEY = "sources/db/backup-1/data.vgl";

  @TempDir Path temp;

  @Test
  void aWriterKilledMidPartLeavesNoObjectAndTheRetryResumesToTheExactBytes() throws Exception {
    Path root = Files.createDirectories(temp.resolve("repo"));
    byte[] bytes = new byte[(int) (40 * PART_SIZE + 4242)];
    new Random(42).nextBytes(bytes);
    Path spool = Files.write(temp.resolve("data.vgl"), bytes);
    Process child = start(root, spool);
    UploadProgress last;
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      last = null;
      String line;
      while ((line = out.readLine()) != null) {
        String[] fields = line.split(" ");
        assertThat(fields[0]).as("the child finished before it was killed").isEqualTo("PART");
        last =
            new UploadProgress(
                KEY,
                fields[1],
                Long.parseLong(fields[2]),
                Integer.parseInt(fields[3]),
                Long.parseLong(fields[4]),
                bytes.length);
        assertThat(visibleObjects(root)).as("nothing visible while it writes").isEmpty();
        if (last.partsDone() == 5) {
          // Mid-part: the child sleeps inside every part, so it is writing part 6 now.
          Thread.sleep(100);
          child.destroyForcibly();
          break;
        }
      }
    } finally {
      child.destroyForcibly();
    }
    assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).as("killed by SIGKILL (128 + 9)").isEqualTo(137);
    assertThat(last).isNotNull();

    FilesystemObjectStore store =
        new FilesystemObjectStore(
            new FilesystemRepositoryConfig("crash", root), PART_SIZE, PartProgress.EVERY);
    assertThat(store.head(KEY)).isEmpty();
    assertThat(store.list("")).isEmpty();
    assertThat(visibleObjects(root)).isEmpty();
    Path partial = root.resolve(KEY + ".vigil-partial-" + last.uploadId());
    assertThat(Files.size(partial))
        .as("the killed writer got past its last heartbeat, into part 6")
        .isGreaterThan(5 * PART_SIZE);
    assertThat(store.openUploads("sources/")).containsExactly(new OpenUpload(KEY, last.uploadId()));

    UploadOutcome retry =
        store.uploadFile(
            spool,
            KEY,
            new ObjectAttributes(null, Map.of("vigil-source", "crash"), Map.of()),
            last,
            progress -> {});

    assertThat(retry.resumedParts()).isEqualTo(5);
    assertThat(retry.parts()).isEqualTo(41);
    assertThat(sha256(store.open(KEY))).isEqualTo(sha256(new java.io.ByteArrayInputStream(bytes)));
    assertThat(store.head(KEY).orElseThrow().eTag()).isEqualTo(sha256(Files.newInputStream(spool)));
    assertThat(store.openUploads("")).isEmpty();
    assertThat(store.tags(KEY)).containsEntry("vigil-source", "crash");
  }

  private static Process start(Path root, Path spool) throws IOException {
    String classPath = System.getProperty("surefire.test.class.path");
    if (classPath == null || classPath.isBlank()) {
      classPath = System.getProperty("java.class.path");
    }
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return new ProcessBuilder(
            java.toString(),
            "-Xmx128m",
            "-cp",
            classPath,
            FilesystemUploadChild.class.getName(),
            root.toString(),
            spool.toString(),
            KEY,
            Long.toString(PART_SIZE))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  /** Files a reader could take for an object: neither partial uploads nor sidecars. */
  private static java.util.List<Path> visibleObjects(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .filter(Files::isRegularFile)
          .filter(path -> !path.getFileName().toString().contains(".vigil-"))
          .toList();
    }
  }

  private static String sha256(InputStream in) throws Exception {
    try (in) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[65536];
      int read;
      while ((read = in.read(buffer)) > 0) {
        digest.update(buffer, 0, read);
      }
      return HexFormat.of().formatHex(digest.digest());
    }
  }
}
