package dev.vigil.activities.testing;

import com.azure.storage.blob.BlobContainerClient;
import dev.vigil.activities.config.AzureRepositoryConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.store.AzureClients;
import dev.vigil.activities.store.AzureObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * One Azurite blob server (Microsoft's Azure Storage emulator, npm {@code azurite}) per test JVM,
 * started on first use on a free loopback port with a temporary location, and stopped when the JVM
 * exits. Azurite is installed with npm into {@code ~/.cache/vigil/azurite-<version>} (or {@code
 * $VIGIL_AZURITE_HOME}, as {@code run-tests} sets it) when it is not there yet. Tests isolate
 * themselves by their own containers.
 */
public final class AzuriteFixture {

  /** The Azurite release the tests run against. */
  public static final String VERSION = "3.37.0";

  /** Azurite's well-known development account; its key is published in Azurite's README. */
  public static final String ACCOUNT = "devstoreaccount1";

  /** The published development key of {@link #ACCOUNT}; it protects nothing. */
  public static final String ACCOUNT_KEY =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

  /** The environment variable name configs point their key at; resolved by {@link #secrets()}. */
  public static final String KEY_ENV = "VIGIL_TEST_AZURITE_KEY";

  /** The repository name in configs this fixture builds; it appears in error messages. */
  public static final String REPOSITORY_NAME = "azurite";

  /** Test block size: 1 MiB, so a few megabytes make several blocks. */
  public static final long BLOCK_SIZE = 1024L * 1024;

  private static AzuriteFixture instance;

  private final Path directory;
  private final Process process;
  private final URI endpoint;

  private AzuriteFixture(Path directory, Process process, URI endpoint) {
    this.directory = directory;
    this.process = process;
    this.endpoint = endpoint;
  }

  /** The shared fixture, installing Azurite if needed and starting it on the first call. */
  public static synchronized AzuriteFixture get() {
    if (instance == null) {
      try {
        Path executable = install();
        Path directory = Files.createTempDirectory("vigil-azurite-");
        int port = freePort();
        Process process =
            new ProcessBuilder(
                    executable.toString(),
                    "--blobHost",
                    "127.0.0.1",
                    "--blobPort",
                    Integer.toString(port),
                    "--location",
                    directory.resolve("data").toString(),
                    "--skipApiVersionCheck",
                    "--disableProductStyleUrl")
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("azurite.log").toFile())
                .start();
        AzuriteFixture fixture =
            new AzuriteFixture(
                directory, process, URI.create("http://127.0.0.1:" + port + "/" + ACCOUNT));
        Runtime.getRuntime().addShutdownHook(new Thread(fixture::stop, "azurite-fixture-stop"));
        waitForPort(process, port, directory.resolve("azurite.log"));
        instance = fixture;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start Azurite", e);
      }
    }
    return instance;
  }

  /** The blob service URL of the dev account, as a repository's {@code endpoint}. */
  public URI endpoint() {
    return endpoint;
  }

  /** Where Azurite keeps its data (blob bytes in extent files under {@code __blobstorage__}). */
  public Path location() {
    return directory.resolve("data");
  }

  /** Resolves the fixture's {@link #KEY_ENV} to the dev key; anything else is not set. */
  public static Function<SecretRef, String> secrets() {
    return ref -> {
      if (KEY_ENV.equals(ref.env())) {
        return ACCOUNT_KEY;
      }
      throw new IllegalArgumentException("environment variable " + ref.env() + " is not set");
    };
  }

  /** A repository config on {@code container} (not created) with the dev account's key. */
  public AzureRepositoryConfig config(String container) {
    return config(REPOSITORY_NAME, container, "Hot");
  }

  /** A repository config with its name, container and default tier. */
  public AzureRepositoryConfig config(String name, String container, String accessTier) {
    return new AzureRepositoryConfig(
        name,
        ACCOUNT,
        container,
        endpoint,
        "",
        accessTier,
        new SecretRef(KEY_ENV, null),
        SecretRef.NONE,
        SecretRef.NONE,
        BLOCK_SIZE);
  }

  /** Creates a container with a unique name starting with {@code purpose}. */
  public String newContainer(String purpose) {
    String name =
        purpose.toLowerCase(Locale.ROOT) + "-" + UUID.randomUUID().toString().substring(0, 8);
    client(name).create();
    return name;
  }

  /** A client for {@code container} with the dev key. */
  public BlobContainerClient client(String container) {
    return AzureClients.create(config(container), secrets());
  }

  /** A store over a new container named after {@code purpose}. */
  public AzureObjectStore objectStore(String purpose) {
    return AzureObjectStore.open(config(newContainer(purpose)), secrets());
  }

  /**
   * Flips one bit in every copy Azurite holds on disk of {@code needle} (bytes of a blob that occur
   * nowhere else), behind its metadata, as bit rot or tampering would: the size stays, the content
   * changes. Every copy, because Azurite keeps the extents of deleted and overwritten blobs for a
   * while. Flipping the returned spots again undoes it.
   */
  public List<DiskSpot> flipBitOnDisk(byte[] needle) throws IOException {
    List<DiskSpot> spots = new ArrayList<>();
    try (Stream<Path> files = Files.walk(location())) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        byte[] content = Files.readAllBytes(file);
        for (int at = indexOf(content, needle, 0); at >= 0; at = indexOf(content, needle, at + 1)) {
          spots.add(new DiskSpot(file, at));
        }
      }
    }
    if (spots.isEmpty()) {
      throw new IOException("Azurite holds no copy of the given bytes under " + location());
    }
    for (DiskSpot spot : spots) {
      spot.flip();
    }
    return spots;
  }

  /** One byte of a file Azurite keeps. */
  public record DiskSpot(Path file, long offset) {
    /** Flips the lowest bit of the byte. */
    public void flip() throws IOException {
      try (FileChannel channel =
          FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        ByteBuffer one = ByteBuffer.allocate(1);
        channel.read(one, offset);
        one.put(0, (byte) (one.get(0) ^ 1)).rewind();
        channel.write(one, offset);
      }
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /**
   * The {@code azurite-blob} launcher, installed with {@code npm install} into the cache directory
   * when missing (the same place {@code run-tests} installs it).
   */
  static Path install() throws IOException {
    String configured = System.getenv("VIGIL_AZURITE_HOME");
    Path home =
        configured != null && !configured.isBlank()
            ? Path.of(configured)
            : Path.of(System.getProperty("user.home"), ".cache", "vigil", "azurite-" + VERSION);
    Path executable = home.resolve("node_modules").resolve(".bin").resolve("azurite-blob");
    if (Files.isExecutable(executable)) {
      return executable;
    }
    Files.createDirectories(home);
    Process npm =
        new ProcessBuilder(
                "npm",
                "install",
                "--prefix",
                home.toString(),
                "--no-audit",
                "--no-fund",
                "azurite@" + VERSION)
            .redirectErrorStream(true)
            .redirectOutput(home.resolve("npm-install.log").toFile())
            .start();
    try {
      if (npm.waitFor() != 0 || !Files.isExecutable(executable)) {
        throw new IOException(
            "npm install azurite@"
                + VERSION
                + " failed; see "
                + home.resolve("npm-install.log")
                + " (Node.js and npm must be installed)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while installing Azurite", e);
    }
    return executable;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void waitForPort(Process process, int port, Path log) throws IOException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("Azurite exited at start: " + Files.readString(log).strip());
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while Azurite started", e);
        }
      }
    }
    throw new IOException("Azurite did not listen on port " + port + " within 60 s; see " + log);
  }

  /** The processes of this fixture's Azurite (the launcher starts node under a shell wrapper). */
  private List<ProcessHandle> processes() {
    return Stream.concat(Stream.of(process.toHandle()), process.descendants()).toList();
  }

  private void stop() {
    List<ProcessHandle> processes = processes();
    processes.forEach(ProcessHandle::destroy);
    // Azurite's graceful shutdown can wait on open connections: it gets a few seconds, no more.
    for (ProcessHandle process : processes) {
      try {
        process.onExit().get(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        // Still running: forced below.
      }
      process.destroyForcibly();
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // Best effort at JVM exit: the directory is under the temp dir and holds test data only.
    }
  }
}
