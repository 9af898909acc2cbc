package dev.vigil.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.Crc64Nvme;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.S3RepositoryConfig;
import dev.vigil.activities.testing.S3MockFixture;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * Uploads of files whose checksums were taken while they were written (packs), through Vigil's own
 * S3 client over plain HTTP to S3Mock: the CRC64NVMEs equal those of a read of the file and the
 * store's; a file changed on disk after it was written is refused by the store; part bodies go
 * unsigned (no SHA-256 of them) but with their signed CRC64NVME, which the store checks.
 */
class S3WrittenChecksumsIT {
  private static final int MIB = 1 << 20;
  private static final ObjectAttributes ATTRIBUTES =
      new ObjectAttributes("STANDARD", Map.of("vigil-source", "models"), Map.of());

  private static final List<Sent> SENT = new CopyOnWriteArrayList<>();
  private static S3Client client;
  private static S3ObjectStore store;

  @TempDir Path temp;

  /** What one request carried on the wire. */
  private record Sent(String operation, String contentSha256, String authorization, String crc) {}

  @BeforeAll
  static void vigilsClientAgainstS3Mock() {
    S3MockFixture s3mock = S3MockFixture.get();
    S3RepositoryConfig config =
        S3MockFixture.withTransfer(
            s3mock.repositoryConfig(s3mock.newBucket("written")),
            2,
            S3RepositoryConfig.VERIFY_CHECKSUM);
    ExecutionInterceptor recorder =
        new ExecutionInterceptor() {
          @Override
          public void beforeTransmission(
              Context.BeforeTransmission context, ExecutionAttributes attributes) {
            var http = context.httpRequest();
            SENT.add(
                new Sent(
                    context.request().getClass().getSimpleName(),
                    http.firstMatchingHeader("x-amz-content-sha256").orElse(null),
                    http.firstMatchingHeader("Authorization").orElse(""),
                    http.firstMatchingHeader(ChecksummedBodySigner.CHECKSUM_HEADER).orElse(null)));
          }
        };
    client = S3Clients.create(config, ref -> null, List.of(recorder));
    store = new S3ObjectStore(config, client);
  }

  @AfterAll
  static void closeClient() {
    client.close();
  }

  @BeforeEach
  void forget() {
    SENT.clear();
  }

  @Test
  void checksumsTakenWhileWritingEqualThoseOfAReadAndTheStoresOwn() throws IOException {
    byte[] bytes = random(17 * MIB + 4_321, 1);
    Path file = temp.resolve("pack-a");
    WrittenChecksums written = write(file, bytes);

    UploadOutcome streamed = store.uploadFile(file, "packs/a", withSha256(written), written);
    UploadOutcome reread =
        store.uploadFile(file, "packs/a-reread", withSha256(written), null, progress -> {});

    String crc = Crc64Nvme.base64(Crc64Nvme.of(bytes));
    assertThat(streamed.crc64nvme()).isEqualTo(crc).isEqualTo(reread.crc64nvme());
    assertThat(streamed.parts()).isEqualTo(4);
    assertThat(store.fullObjectChecksum("packs/a")).contains(new StoredChecksum(bytes.length, crc));
    try (InputStream in = store.open("packs/a")) {
      assertThat(in.readAllBytes()).isEqualTo(bytes);
    }
  }

  @Test
  void aPackChangedOnDiskAfterItWasWrittenIsRefusedByTheStoreAndNotStored() throws IOException {
    byte[] bytes = random(6 * MIB + 99, 2);
    Path file = temp.resolve("pack-b");
    WrittenChecksums written = write(file, bytes);
    // One flipped bit in the second part, same size and the file's SHA-256 never re-read: only
    // the store's CRC of what it received can notice.
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(new byte[] {(byte) (bytes[5 * MIB + 10] ^ 4)}), 5 * MIB + 10);
    }

    // The store refuses it; the bytes on disk are then found to differ from what was written, so
    // no retry of the upload can help (damage on the way would be REPOSITORY_UNAVAILABLE, retried).
    assertThatThrownBy(() -> store.uploadFile(file, "packs/b", withSha256(written), written))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.SPOOL_MISSING))
        .hasMessageContaining("changed on disk after it was sealed")
        .hasMessageContaining("packs/b");
    assertThat(store.head("packs/b")).isEmpty();
    // Two parts at most go in one PUT, its body unsigned like a part's: the CRC is what is checked.
    assertThat(SENT)
        .filteredOn(sent -> sent.operation().equals(PutObjectRequest.class.getSimpleName()))
        .extracting(Sent::contentSha256)
        .containsExactly("UNSIGNED-PAYLOAD");
  }

  @Test
  void aPackOfUpToTwoPartsGoesInOnePutWhoseCrcTheStoreChecksAndKeeps() throws IOException {
    // A pack of a chunked backup is a little over one part: one request, not create + 2 parts +
    // complete, and the store reads it once, not a second time to join parts.
    byte[] bytes = random(2 * MIB * 5, 4);
    Path file = temp.resolve("pack-d");
    WrittenChecksums written = write(file, bytes);

    UploadOutcome outcome = store.uploadFile(file, "packs/d", withSha256(written), written);

    String crc = Crc64Nvme.base64(Crc64Nvme.of(bytes));
    assertThat(outcome).isEqualTo(new UploadOutcome(1, 0, bytes.length, crc));
    assertThat(SENT)
        .extracting(Sent::operation)
        .containsExactly(PutObjectRequest.class.getSimpleName());
    assertThat(SENT.get(0).crc()).isEqualTo(crc);
    // What verify-upload compares: the store's own full-object CRC64NVME of what it received.
    assertThat(store.fullObjectChecksum("packs/d")).contains(new StoredChecksum(bytes.length, crc));
    try (InputStream in = store.open("packs/d")) {
      assertThat(in.readAllBytes()).isEqualTo(bytes);
    }
  }

  @Test
  void partBodiesGoUnsignedOverHttpWithTheirChecksumSignedAndOtherBodiesStaySigned()
      throws IOException {
    byte[] bytes = random(11 * MIB, 3);
    Path file = temp.resolve("pack-c");
    WrittenChecksums written = write(file, bytes);
    Path manifest = temp.resolve("manifest.json");
    Files.writeString(manifest, "{\"files\": 1}\n");

    store.uploadFile(file, "packs/c", withSha256(written), written);
    store.putFile(manifest, "manifests/c.json", ATTRIBUTES);

    List<Sent> parts =
        SENT.stream()
            .filter(sent -> sent.operation().equals(UploadPartRequest.class.getSimpleName()))
            .toList();
    assertThat(parts).hasSize(3);
    for (Sent part : parts) {
      assertThat(part.contentSha256()).isEqualTo("UNSIGNED-PAYLOAD");
      assertThat(part.crc()).isNotNull();
      // The CRC header is among the signed headers: changing it breaks the signature.
      assertThat(part.authorization())
          .startsWith("AWS4-HMAC-SHA256 ")
          .containsPattern("SignedHeaders=[^,]*x-amz-checksum-crc64nvme");
    }
    Sent put =
        SENT.stream()
            .filter(sent -> sent.operation().equals(PutObjectRequest.class.getSimpleName()))
            .findFirst()
            .orElseThrow();
    assertThat(put.contentSha256()).isNotEqualTo("UNSIGNED-PAYLOAD").startsWith("STREAMING-AWS4");
    try (InputStream in = store.open("packs/c")) {
      assertThat(in.readAllBytes()).isEqualTo(bytes);
    }
  }

  private static ObjectAttributes withSha256(WrittenChecksums written) {
    return new ObjectAttributes(
        ATTRIBUTES.storageClass(), ATTRIBUTES.tags(), ATTRIBUTES.metadata(), written.sha256());
  }

  /** Writes {@code bytes} to {@code file} in 100 KB pieces, taking their checksums on the way. */
  private static WrittenChecksums write(Path file, byte[] bytes) throws IOException {
    WrittenChecksums.Recorder recorder = new WrittenChecksums.Recorder();
    try (OutputStream out = Files.newOutputStream(file)) {
      for (int offset = 0; offset < bytes.length; offset += 100_000) {
        int length = Math.min(100_000, bytes.length - offset);
        out.write(bytes, offset, length);
        recorder.update(bytes, offset, length);
      }
    }
    return recorder.finish();
  }

  private static byte[] random(int size, int seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }
}
