package dev.vigil.activities.source.redis;

import dev.vigil.activities.common.FileTrees;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * The redis-servers restores started in this worker process, by restore id. A server runs until
 * {@link #stop} or until the worker process exits, whose shutdown hook stops it and deletes its
 * directory. Process-wide, because the servers are child processes of this JVM.
 */
public final class FreshRedisServers {
  private static final FreshRedisServers SHARED = new FreshRedisServers();

  private final Map<String, LocalRedis> servers = new ConcurrentHashMap<>();

  private FreshRedisServers() {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> List.copyOf(servers.keySet()).forEach(this::stop), "fresh-redis-stop"));
  }

  /** The worker process's registry. */
  public static FreshRedisServers shared() {
    return SHARED;
  }

  /**
   * Starts a fresh redis-server in {@code dir} on the RDB {@code plain} (moved there as {@code
   * dump.rdb}). A server an earlier attempt of the same restore started is stopped and replaced.
   */
  public LocalRedis start(
      String restoreId, Path plain, Path dir, Duration timeout, LongConsumer progress) {
    stop(restoreId);
    try {
      FileTrees.delete(dir);
      Files.createDirectories(dir);
      Files.move(plain, dir.resolve(LocalRedis.RDB), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED, "cannot prepare " + dir + " for redis-server: " + e, e);
    }
    LocalRedis server = LocalRedis.start(dir, timeout, progress);
    servers.put(restoreId, server);
    return server;
  }

  /** The server a restore started, if it still runs in this process. */
  public Optional<LocalRedis> find(String restoreId) {
    return Optional.ofNullable(servers.get(restoreId));
  }

  /** Stops the restore's server and deletes its directory; nothing to stop is fine. */
  public void stop(String restoreId) {
    LocalRedis server = servers.remove(restoreId);
    if (server == null) {
      return;
    }
    server.close();
    try {
      FileTrees.delete(server.dir());
    } catch (IOException e) {
      // Scratch space under the spool; removed with it.
    }
  }

  /** Stops every server whose restore id starts with {@code prefix} (a drill's). */
  public void stopAll(String prefix) {
    List.copyOf(servers.keySet()).stream().filter(id -> id.startsWith(prefix)).forEach(this::stop);
  }
}
