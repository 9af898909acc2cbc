package dev.vigil.activities.drill;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.activities.common.FileTrees;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.embedded.PostgresCluster;
import dev.vigil.activities.restore.FreshClusters;
import dev.vigil.activities.source.DrillScratch;
import dev.vigil.activities.source.SourceDrivers;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.drill.DrillEnvironment;
import dev.vigil.workflows.drill.DrillSource;
import dev.vigil.workflows.restore.RestoreTarget;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Throwaway drill environments on this host: under {@code <root>/<drill-id>/}, a fresh PostgreSQL
 * cluster on a free loopback port ({@code cluster/}), its password file ({@code secrets/}) and one
 * empty directory per directory source ({@code files/<source>}).
 *
 * <p>Where an environment lives follows from the drill id alone, so teardown works by id: after a
 * lost reply, a half-made environment, or a worker restart (the cluster is then stopped with {@code
 * pg_ctl} from what {@code environment.json} recorded).
 */
public final class DrillEnvironments {
  private static final Logger log = LoggerFactory.getLogger(DrillEnvironments.class);
  private static final Pattern DRILL_ID = Pattern.compile("drill-[A-Za-z0-9-]+");
  private static final String SUPERUSER = "vigil_drill";
  private static final String DESCRIPTION = "environment.json";

  private final Path root;
  private final SourceDrivers drivers;
  private final Map<String, PostgresCluster> clusters = new ConcurrentHashMap<>();

  /** Environments under {@code root} (created on first use). */
  public DrillEnvironments(Path root) {
    this(root, SourceDrivers.STANDARD);
  }

  /** Environments under {@code root} for sources of the kinds {@code drivers} know. */
  public DrillEnvironments(Path root, SourceDrivers drivers) {
    this.root = root.toAbsolutePath().normalize();
    this.drivers = drivers;
  }

  /** The directory that holds every environment of this host. */
  public Path root() {
    return root;
  }

  /** The directory that holds everything of drill {@code drillId}. */
  public Path scratchDir(String drillId) {
    if (!DRILL_ID.matcher(drillId).matches()) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG, "'" + drillId + "' is not a drill id (drill-<plan>-<time>)");
    }
    return root.resolve(drillId);
  }

  /**
   * Creates the environment of {@code drillId} for {@code sources} on {@code hostId}. A second call
   * for a drill whose cluster runs returns the same environment; a half-made one is removed and
   * made again.
   */
  public DrillEnvironment create(String drillId, String hostId, List<DrillSource> sources) {
    return create(drillId, hostId, sources, Set.of());
  }

  /**
   * As {@link #create(String, String, List)}; the sources named in {@code physical} are physical
   * backups of whole clusters: each is restored into a fresh cluster of its own (started by its
   * restore, stopped by {@link #tearDown}), not into the drill's shared cluster.
   */
  public synchronized DrillEnvironment create(
      String drillId, String hostId, List<DrillSource> sources, Set<String> physical) {
    Path scratch = scratchDir(drillId);
    PostgresCluster running = clusters.get(drillId);
    if (running == null && Files.exists(scratch, LinkOption.NOFOLLOW_LINKS)) {
      // An earlier attempt died half-way: start from nothing rather than trust what it left.
      tearDown(drillId);
    }
    List<DrillSource> logical =
        sources.stream().filter(source -> !physical.contains(source.name())).toList();
    boolean needsCluster = logical.stream().anyMatch(s -> s.type().equals("postgres"));
    try {
      Path secrets = Files.createDirectories(scratch.resolve("secrets"));
      Path passwordFile = secrets.resolve("superuser-password");
      PostgresCluster cluster = running;
      if (needsCluster && cluster == null) {
        String password = HexFormat.of().formatHex(random(18));
        Files.deleteIfExists(passwordFile);
        Files.createFile(
            passwordFile,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(passwordFile, password, StandardCharsets.UTF_8);
        Path clusterDir = scratch.resolve("cluster");
        cluster = PostgresCluster.start(clusterDir, SUPERUSER, password);
        clusters.put(drillId, cluster);
        describe(scratch, cluster, clusterDir);
        // The databases are left to the restores, which create them: a restore into a database
        // it created loads the rows during its download, as a restore into a new database does.
      }
      Path files = Files.createDirectories(scratch.resolve("files"));
      Map<String, String> databases = databaseNames(sources);
      PostgresCluster shared = cluster;
      DrillScratch drill =
          new DrillScratch() {
            @Override
            public String drillId() {
              return drillId;
            }

            @Override
            public Path filesOf(String sourceName) {
              return files.resolve(sourceName);
            }

            @Override
            public RestoreTarget sharedDatabase(String sourceName) {
              if (shared == null) {
                throw new IllegalStateException("drill " + drillId + " has no shared cluster");
              }
              return new RestoreTarget(
                  "database",
                  shared.host(),
                  shared.port(),
                  databases.get(sourceName),
                  SUPERUSER,
                  passwordFile.toString(),
                  null);
            }
          };
      Map<String, RestoreTarget> targets = new LinkedHashMap<>();
      for (DrillSource source : sources) {
        if (physical.contains(source.name())) {
          targets.put(
              source.name(),
              new RestoreTarget(
                  "fresh-cluster", null, 0, databases.get(source.name()), null, null, null));
        } else {
          targets.put(
              source.name(),
              drivers
                  .forType(source.type())
                  .orElseThrow(
                      () ->
                          new VigilException(
                              ErrorType.INVALID_CONFIG,
                              "drill "
                                  + drillId
                                  + ": source '"
                                  + source.name()
                                  + "' has type '"
                                  + source.type()
                                  + "', which this worker cannot restore"))
                  .drillTarget(source, drill));
        }
      }
      log.info(
          "drill {}: environment at {}{}",
          drillId,
          scratch,
          cluster == null ? "" : ", PostgreSQL on " + cluster.host() + ":" + cluster.port());
      return new DrillEnvironment(
          drillId,
          hostId,
          scratch.toString(),
          cluster == null ? null : scratch.resolve("cluster").toString(),
          cluster == null ? null : cluster.host(),
          cluster == null ? 0 : cluster.port(),
          cluster == null ? null : passwordFile.toString(),
          targets);
    } catch (IOException e) {
      tearDown(drillId);
      throw new VigilException(
          ErrorType.RESTORE_FAILED,
          "drill " + drillId + ": cannot create its environment in " + scratch + ": " + e,
          e);
    } catch (IllegalStateException e) {
      tearDown(drillId);
      throw new VigilException(
          ErrorType.RESTORE_FAILED,
          "drill " + drillId + ": cannot start a fresh PostgreSQL cluster: " + e.getMessage(),
          e);
    }
  }

  /** Stops the drill's cluster and deletes its scratch directory; nothing there is fine. */
  public synchronized void tearDown(String drillId) {
    Path scratch = scratchDir(drillId);
    // Physical sources' clusters, started by the drill's restores (ids drill-…-restore-<source>).
    FreshClusters.shared().stopAll(drillId + "-restore-");
    // Servers other kinds' drill restores started.
    drivers.tearDownDrill(drillId);
    PostgresCluster cluster = clusters.remove(drillId);
    if (cluster != null) {
      cluster.close();
    } else {
      stopRecorded(scratch);
    }
    deleteTree(scratch);
    if (Files.exists(scratch, LinkOption.NOFOLLOW_LINKS)) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED,
          "drill " + drillId + ": " + scratch + " could not be removed; delete it by hand");
    }
    log.info("drill {}: environment torn down", drillId);
  }

  /** Database name in the fresh cluster per postgres source: its own, unless two share one. */
  private static Map<String, String> databaseNames(List<DrillSource> sources) {
    Map<String, String> names = new LinkedHashMap<>();
    Set<String> taken = new HashSet<>();
    for (DrillSource source : sources) {
      if (source.type().equals("postgres")) {
        String name =
            source.database() != null && taken.add(source.database())
                ? source.database()
                : source.name();
        taken.add(name);
        names.put(source.name(), name);
      }
    }
    return names;
  }

  private static void describe(Path scratch, PostgresCluster cluster, Path clusterDir)
      throws IOException {
    ObjectNode description = Json.MAPPER.createObjectNode();
    description.put("dataDir", clusterDir.resolve("data").toString());
    description.put("binDir", cluster.binDir().toString());
    description.put("socketDir", cluster.socketDir().toString());
    description.put("port", cluster.port());
    // Written whole, then renamed: a reader (teardown after a restart) never sees half of it.
    Path partial = scratch.resolve(DESCRIPTION + ".partial");
    Json.MAPPER.writeValue(partial.toFile(), description);
    Files.move(partial, scratch.resolve(DESCRIPTION), StandardCopyOption.ATOMIC_MOVE);
  }

  /** Stops a cluster this process no longer holds (worker restarted) from its description. */
  private static void stopRecorded(Path scratch) {
    Path file = scratch.resolve(DESCRIPTION);
    if (!Files.isRegularFile(file)) {
      return;
    }
    try {
      var description = Json.MAPPER.readTree(file.toFile());
      Path dataDir = Path.of(description.get("dataDir").asText());
      Path socketDir = Path.of(description.get("socketDir").asText());
      if (Files.exists(dataDir.resolve("postmaster.pid"))) {
        List<String> command = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
          command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.addAll(
            List.of(
                Path.of(description.get("binDir").asText()).resolve("pg_ctl").toString(),
                "-D",
                dataDir.toString(),
                "-m",
                "immediate",
                "-w",
                "stop"));
        Process process =
            new ProcessBuilder(command)
                .directory(scratch.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
      if (!socketDir.startsWith(scratch)) {
        deleteTree(socketDir);
      }
    } catch (IOException e) {
      log.warn("cannot stop the drill cluster described in {}: {}", file, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VigilException(ErrorType.RESTORE_FAILED, "interrupted stopping a drill cluster");
    }
  }

  private static void deleteTree(Path dir) {
    try {
      FileTrees.delete(dir);
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", dir, e.getMessage());
    }
  }

  private static byte[] random(int bytes) {
    byte[] value = new byte[bytes];
    new SecureRandom().nextBytes(value);
    return value;
  }
}
