package dev.vigil.activities.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The worker host.
 *
 * @param hostId stable across restarts so a restarted worker resumes its spool's runs
 * @param spoolDir where dumps are written before they are sealed and uploaded
 * @param maxParallelSources sources backed up at once by one plan run
 * @param restoreRoots absolute directories restore targets may lie in, besides the spool's own
 *     scratch areas ({@code <spool-dir>/restores}, {@code <spool-dir>/drills}); empty by default
 */
public record WorkerConfig(
    String hostId, Path spoolDir, int maxParallelSources, List<Path> restoreRoots) {

  public WorkerConfig {
    restoreRoots = List.copyOf(restoreRoots);
  }
}
