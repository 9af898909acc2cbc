package dev.vigil.activities.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.config.S3RepositoryConfig;
import dev.vigil.activities.crypto.EncryptionKey;
import dev.vigil.activities.crypto.Sealer;
import dev.vigil.activities.store.S3ObjectStore;
import dev.vigil.activities.testing.S3MockFixture;
import dev.vigil.workflows.restore.DownloadProgress;
import dev.vigil.workflows.restore.DownloadResult;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;

/**
 * {@link EarlyUnseal} with {@link BackupDownloader}'s parallel ranged GETs from S3Mock: the sealed
 * file is decrypted (zstd included) in order while its ranges land out of order, a resumed download
 * still yields the exact plaintext, and a damaged object leaves no plaintext the decrypt step could
 * take.
 */
class EarlyUnsealIT {
  private static final String CONTEXT = "vigil/v1 backup=db-1 source=db";

  private static S3MockFixture s3mock;
  private static String bucket;
  private static byte[] raw;

  private final Sealer sealer = new Sealer(key());

  @TempDir Path temp;

  @BeforeAll
  static void start() {
    s3mock = S3MockFixture.get();
    bucket = s3mock.newBucket("early-unseal-it");
    StringBuilder text = new StringBuilder();
    Random random = new Random(21);
    while (text.length() < 60 << 20) {
      text.append("message ").append(random.nextLong()).append(" in the conversation\n");
    }
    raw = text.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aSealedObjectIsDecryptedInOrderWhileItsRangesArriveOutOfOrder() throws Exception {
    byte[] sealed = seal();
    String key = put("early/data.vgl", sealed);
    Path file = temp.resolve("data.vgl");
    Path plain = temp.resolve("dump.pgdump");

    DownloadResult result;
    // The first range is held back: the ranges after it are on disk first, and wait.
    try (S3Client client = slowFirstRange();
        EarlyUnseal early = startEarly(file, plain)) {
      result =
          new BackupDownloader()
              .download(
                  parallelStore(client), key, file, sealed.length, null, p -> {}, early::written);
      early.finish(result.sha256(), () -> {});
    }

    assertThat(EarlyUnseal.completed(plain, result.sha256())).contains((long) raw.length);
    assertThat(Files.readAllBytes(EarlyUnseal.earlyFile(plain))).isEqualTo(raw);
    // Another download's SHA-256 (what verify would refuse) does not pick it up.
    assertThat(EarlyUnseal.completed(plain, "0".repeat(64))).isEmpty();
  }

  @Test
  void aResumedDownloadDecryptsFromTheStartAndYieldsTheExactPlaintext() throws Exception {
    byte[] sealed = seal();
    assertThat(sealed.length).isGreaterThan(12 << 20);
    String key = put("resumed/data.vgl", sealed);
    Path file = temp.resolve("data.vgl");
    Path plain = temp.resolve("dump.pgdump");
    // The crashed attempt: 8 MiB it reported, then bytes it wrote but never reported (garbage),
    // and a half-written early plaintext of its own.
    byte[] crashed = Arrays.copyOf(sealed, 12 << 20);
    Arrays.fill(crashed, 8 << 20, 12 << 20, (byte) 7);
    Files.write(file, crashed);
    Files.write(EarlyUnseal.earlyFile(plain), new byte[1000]);

    DownloadResult result;
    try (S3Client client = slowFirstRange();
        EarlyUnseal early = startEarly(file, plain)) {
      result =
          new BackupDownloader()
              .download(
                  parallelStore(client),
                  key,
                  file,
                  sealed.length,
                  new DownloadProgress(key, 8 << 20, sealed.length),
                  p -> {},
                  early::written);
      early.finish(result.sha256(), () -> {});
    }

    assertThat(result.resumedFromBytes()).isEqualTo(8 << 20);
    assertThat(EarlyUnseal.completed(plain, result.sha256())).contains((long) raw.length);
    assertThat(Files.readAllBytes(EarlyUnseal.earlyFile(plain))).isEqualTo(raw);
  }

  @Test
  void aDamagedObjectLeavesNoEarlyPlaintext() throws Exception {
    byte[] sealed = seal();
    sealed[sealed.length / 2] ^= 0x04;
    String key = put("damaged/data.vgl", sealed);
    Path file = temp.resolve("data.vgl");
    Path plain = temp.resolve("dump.pgdump");

    DownloadResult result;
    try (S3Client client = slowFirstRange();
        EarlyUnseal early = startEarly(file, plain)) {
      result =
          new BackupDownloader()
              .download(
                  parallelStore(client), key, file, sealed.length, null, p -> {}, early::written);
      early.finish(result.sha256(), () -> {});
    }

    // The download itself succeeds (verify then refuses its SHA-256); nothing decrypted is left.
    assertThat(result.bytes()).isEqualTo(sealed.length);
    assertThat(EarlyUnseal.completed(plain, result.sha256())).isEmpty();
    assertThat(EarlyUnseal.earlyFile(plain)).doesNotExist();
    assertThat(EarlyUnseal.doneFile(plain)).doesNotExist();
  }

  private EarlyUnseal startEarly(Path file, Path plain) throws IOException {
    if (!Files.exists(file)) {
      Files.createFile(file);
    }
    return EarlyUnseal.start(sealer, file, plain, CONTEXT);
  }

  private byte[] seal() throws IOException {
    ByteArrayOutputStream sealed = new ByteArrayOutputStream();
    sealer.seal(new ByteArrayInputStream(raw), sealed, "zstd", CONTEXT, bytes -> {});
    return sealed.toByteArray();
  }

  private static S3ObjectStore parallelStore(S3Client client) {
    return new S3ObjectStore(
        S3MockFixture.withTransfer(
            s3mock.repositoryConfig(bucket), 4, S3RepositoryConfig.VERIFY_CHECKSUM),
        client);
  }

  /** A client that holds back the GET of the object's (or the resumed download's) first range. */
  private static S3Client slowFirstRange() {
    ExecutionInterceptor slow =
        new ExecutionInterceptor() {
          @Override
          public void beforeExecution(
              Context.BeforeExecution context, ExecutionAttributes attributes) {
            if (context.request() instanceof GetObjectRequest get
                && get.range() != null
                && (get.range().startsWith("bytes=0-")
                    || get.range().startsWith("bytes=" + (8 << 20) + "-"))) {
              try {
                Thread.sleep(500);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }
        };
    return s3mock.clientWith(slow);
  }

  private static String put(String relativeKey, byte[] bytes) {
    String key = s3mock.objectStore(bucket).key(relativeKey);
    s3mock.client().putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(bytes));
    return key;
  }

  private static EncryptionKey key() {
    byte[] material = new byte[32];
    new Random(1).nextBytes(material);
    return EncryptionKey.of(material, null);
  }
}
