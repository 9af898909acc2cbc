package dev.vigil.activities.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.config.S3RepositoryConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.testing.S3MockFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The {@link ObjectStoreContract} through a {@code type: gcs} repository's client, against S3Mock
 * (no GCS or GCS emulator runs here): every request the preset sends is recorded, and none may
 * carry what GCS's XML API rejects (the SDK's flexible-checksum headers and trailers, aws-chunked
 * bodies). What real GCS answers was not tried.
 */
class GcsPresetContractIT extends ObjectStoreContract {
  private static final List<Map<String, List<String>>> SENT = new CopyOnWriteArrayList<>();
  private static S3MockFixture s3mock;
  private static S3Client client;
  private static S3ObjectStore store;

  /** Records the headers of every request as they go on the wire. */
  static final class Recorder implements ExecutionInterceptor {
    private final List<Map<String, List<String>>> sent;

    Recorder(List<Map<String, List<String>>> sent) {
      this.sent = sent;
    }

    @Override
    public void beforeTransmission(
        Context.BeforeTransmission context, ExecutionAttributes attributes) {
      sent.add(context.httpRequest().headers());
    }
  }

  @BeforeAll
  static void gcsClientAgainstS3Mock() {
    s3mock = S3MockFixture.get();
    S3RepositoryConfig config = gcsConfig(s3mock.newBucket("gcs"), "when-required");
    client = S3Clients.create(config, ref -> "hmac-" + ref.env(), List.of(new Recorder(SENT)));
    store = new S3ObjectStore(config, client);
  }

  @AfterAll
  static void closeClient() {
    client.close();
  }

  /** A gcs repository as vigil.yaml's defaults make it, pointed at S3Mock instead of Google. */
  private static S3RepositoryConfig gcsConfig(String bucket, String checksumMode) {
    return new S3RepositoryConfig(
        "gcs",
        s3mock.endpoint(),
        "auto",
        bucket,
        "",
        "STANDARD",
        true,
        checksumMode,
        new SecretRef("GCS_ID", null),
        new SecretRef("GCS_SECRET", null),
        PART_SIZE,
        "gcs",
        // The contract's one-part-at-a-time order; gcs verifies by read-back (its default).
        1,
        S3RepositoryConfig.VERIFY_READ_BACK);
  }

  @Override
  ObjectStore store() {
    return store;
  }

  @AfterEach
  void nothingGcsRejectsWasSent() {
    List<Map<String, List<String>>> sent = List.copyOf(SENT);
    SENT.clear();
    for (Map<String, List<String>> headers : sent) {
      assertThat(offending(headers)).as("headers GCS rejects, in %s", headers).isEmpty();
    }
  }

  @Test
  void theRecorderSeesTheChecksumHeadersAClientWithoutThePresetSends() throws Exception {
    List<Map<String, List<String>>> sent = new CopyOnWriteArrayList<>();
    S3RepositoryConfig withSdkDefaults =
        gcsConfig(s3mock.newBucket("gcs-default"), "when-supported");
    try (S3Client defaults =
        S3Clients.create(withSdkDefaults, ref -> "hmac", List.of(new Recorder(sent)))) {
      Path file = Files.write(temp.resolve("probe"), new byte[1000]);
      new S3ObjectStore(withSdkDefaults, defaults).putFile(file, "probe", null);
    }

    assertThat(sent).anySatisfy(headers -> assertThat(offending(headers)).isNotEmpty());
  }

  /** The headers in {@code headers} that GCS's XML API does not accept. */
  private static List<String> offending(Map<String, List<String>> headers) {
    return headers.entrySet().stream()
        .filter(
            header -> {
              String name = header.getKey().toLowerCase(java.util.Locale.ROOT);
              String value = String.join(",", header.getValue());
              return name.equals("x-amz-sdk-checksum-algorithm")
                  || name.equals("x-amz-trailer")
                  || name.startsWith("x-amz-checksum-")
                  || (name.equals("content-encoding") && value.contains("aws-chunked"))
                  || (name.equals("x-amz-content-sha256") && value.startsWith("STREAMING-"));
            })
        .map(header -> header.getKey() + ": " + header.getValue())
        .toList();
  }
}
