package dev.vigil.activities.source.redis;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.restore.DirectoryRestorer;
import dev.vigil.activities.restore.StagedDirectory;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Puts a Redis backup's RDB where it is asked for: a directory that then holds {@code dump.rdb} and
 * nothing else (for a server the user starts), or a fresh redis-server Vigil starts on it.
 */
public final class RedisRestorer {
  private final DirectoryRestorer directories = new DirectoryRestorer();

  /**
   * Refuses a target directory that is not a directory, or holds anything unless {@code force} (the
   * same rules as a directory restore). The caller checked it lies under the restore roots.
   */
  public void checkTarget(Path target, boolean force) {
    directories.checkTarget(target, force);
  }

  /**
   * Moves the RDB {@code plain} into {@code target} as its only file, {@code dump.rdb}, through a
   * staging directory beside it: the target is replaced whole only once the file is in place, so a
   * failure leaves it as it was. {@code tag} (the restore id) names a crashed attempt's leftovers.
   */
  public Path toDirectory(Path plain, Path target, String tag, boolean force) {
    StagedDirectory staged = new StagedDirectory(target, tag);
    try {
      staged.recover();
      checkTarget(target, force);
      Path staging = staged.create();
      Path rdb = staging.resolve(LocalRedis.RDB);
      Files.move(plain, rdb, StandardCopyOption.REPLACE_EXISTING);
      staged.install();
      return target.resolve(LocalRedis.RDB);
    } catch (IOException e) {
      staged.discard();
      throw new VigilException(
          ErrorType.RESTORE_FAILED, "cannot restore into " + target + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      staged.discard();
      throw e;
    }
  }
}
