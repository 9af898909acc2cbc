package dev.vigil.activities.testing;

import dev.vigil.activities.config.S3RepositoryConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.embedded.S3MockServer;
import dev.vigil.activities.store.S3Clients;
import dev.vigil.activities.store.S3ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

/**
 * One S3Mock server per test JVM, started on first use and stopped when the JVM exits, so every
 * integration test (in this module and, through the test-jar, in others) shares its ~7 s start.
 * Tests isolate themselves by using their own buckets.
 */
public final class S3MockFixture {

  /** The repository name in configs this fixture builds; it appears in error messages. */
  public static final String REPOSITORY_NAME = "s3mock";

  /** The region S3Mock is addressed with; it ignores it, but the SDK signs with one. */
  public static final String REGION = "us-east-1";

  /** Test part size: S3's minimum, so a few tens of megabytes make several parts. */
  public static final long PART_SIZE = 5L * 1024 * 1024;

  private static S3MockFixture instance;

  private final Path directory;
  private final S3MockServer server;
  private final S3Client client;
  private final Set<String> buckets = ConcurrentHashMap.newKeySet();

  private S3MockFixture(Path directory, S3MockServer server) {
    this.directory = directory;
    this.server = server;
    this.client = S3Clients.create(config(REPOSITORY_NAME, server.endpoint(), "unused"));
  }

  /** The shared fixture, starting S3Mock on the first call. */
  public static synchronized S3MockFixture get() {
    if (instance == null) {
      useDummyCredentials();
      Path directory;
      try {
        directory = Files.createTempDirectory("vigil-s3mock-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      S3MockServer server =
          S3MockServer.start(S3MockServer.locateJar(), directory.resolve("store"), List.of());
      S3MockFixture fixture = new S3MockFixture(directory, server);
      Runtime.getRuntime().addShutdownHook(new Thread(fixture::stop, "s3mock-fixture-shutdown"));
      instance = fixture;
    }
    return instance;
  }

  /**
   * S3Mock ignores credentials, but the SDK will not send a request without some. System properties
   * come first in the AWS default chain, so configs can leave the secret refs unset and go through
   * the same code path as production without any real key on the machine.
   */
  private static void useDummyCredentials() {
    if (System.getProperty("aws.accessKeyId") == null) {
      System.setProperty("aws.accessKeyId", "vigil-test");
      System.setProperty("aws.secretAccessKey", "vigil-test-secret");
    }
  }

  /** The plain-HTTP endpoint of the server. */
  public URI endpoint() {
    return server.endpoint();
  }

  /** A client for the server, shared by all tests; do not close it. */
  public S3Client client() {
    return client;
  }

  /**
   * A client of the caller's own (it closes it) that shows every request to {@code interceptor}, to
   * record or hold back what the store code sends.
   */
  public S3Client clientWith(ExecutionInterceptor interceptor) {
    return S3Client.builder()
        .endpointOverride(endpoint())
        .region(Region.of(REGION))
        .forcePathStyle(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
        .httpClientBuilder(ApacheHttpClient.builder())
        .overrideConfiguration(override -> override.addExecutionInterceptor(interceptor))
        .build();
  }

  /** Creates {@code bucket} unless it exists. */
  public String createBucket(String bucket) {
    if (buckets.add(bucket)) {
      try {
        client.createBucket(request -> request.bucket(bucket));
      } catch (BucketAlreadyOwnedByYouException alreadyThere) {
        // Another test created it first; that is what we wanted.
      }
    }
    return bucket;
  }

  /** Creates a bucket with a unique name starting with {@code purpose} (lowercase, short). */
  public String newBucket(String purpose) {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    return createBucket(purpose.toLowerCase(Locale.ROOT) + "-" + suffix);
  }

  /** A repository on {@code bucket}, which is created if missing, with 5 MiB parts. */
  public S3RepositoryConfig repositoryConfig(String bucket) {
    createBucket(bucket);
    return config(REPOSITORY_NAME, endpoint(), bucket);
  }

  /** A store over {@code bucket} (created if missing), using the shared client. */
  public S3ObjectStore objectStore(String bucket) {
    return new S3ObjectStore(repositoryConfig(bucket), client);
  }

  /**
   * Cuts the bytes S3Mock holds on disk for {@code key} to {@code size}, behind its metadata, as a
   * broken disk would: HEAD still reports the original size, a GET serves fewer bytes.
   */
  public void truncateOnDisk(String bucket, String key, long size) throws IOException {
    try (var channel =
        java.nio.channels.FileChannel.open(binaryData(bucket, key), StandardOpenOption.WRITE)) {
      channel.truncate(size);
    }
  }

  /**
   * Flips one bit of the bytes S3Mock holds on disk for {@code key} at {@code offset}, behind its
   * metadata, as bit rot or tampering would: the size stays, the content changes.
   */
  public void flipBitOnDisk(String bucket, String key, long offset) throws IOException {
    try (var channel =
        java.nio.channels.FileChannel.open(
            binaryData(bucket, key), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
      channel.read(one, offset);
      one.put(0, (byte) (one.get(0) ^ 1)).rewind();
      channel.write(one, offset);
    }
  }

  private Path binaryData(String bucket, String key) throws IOException {
    String needle = "\"key\":\"" + key + "\"";
    try (Stream<Path> metadata = Files.walk(directory.resolve("store").resolve(bucket))) {
      return metadata
          .filter(path -> path.getFileName().toString().equals("objectMetadata.json"))
          .filter(path -> read(path).contains(needle))
          .findFirst()
          .orElseThrow(() -> new IOException("S3Mock holds no object " + key + " in " + bucket))
          .resolveSibling("binaryData");
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A repository config for an S3Mock-like endpoint, without creating anything: path-style
   * addressing, default checksums, credentials from the default chain.
   */
  public static S3RepositoryConfig config(String name, URI endpoint, String bucket) {
    return new S3RepositoryConfig(
        name,
        endpoint,
        REGION,
        bucket,
        "",
        "STANDARD",
        true,
        "when-supported",
        SecretRef.NONE,
        SecretRef.NONE,
        PART_SIZE);
  }

  /**
   * {@code config} with {@code upload-concurrency} and {@code verify-upload} set: 1 and {@code
   * read-back} give the one-part-at-a-time upload whose exact order older tests pin down.
   */
  public static S3RepositoryConfig withTransfer(
      S3RepositoryConfig config, int concurrency, String verify) {
    return new S3RepositoryConfig(
        config.name(),
        config.endpoint(),
        config.region(),
        config.bucket(),
        config.prefix(),
        config.storageClass(),
        config.pathStyleAccess(),
        config.checksumMode(),
        config.accessKeyId(),
        config.secretAccessKey(),
        config.partSizeBytes(),
        config.type(),
        concurrency,
        verify);
  }

  private void stop() {
    client.close();
    server.close();
    try (Stream<Path> paths = Files.walk(directory)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // Best effort at JVM exit: the directory is under the temp dir and holds test data only.
    }
  }
}
