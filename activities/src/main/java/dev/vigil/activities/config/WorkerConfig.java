package dev.vigil.activities.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The worker host.
 *
 * @param hostId stable across restarts so a restarted worker resumes its spool's runs
 * @param spoolDir where dumps are written before they are sealed and uploaded
 * @param maxParallelSources sources backed up at once by one plan run
 * @param stickyExecution whether workflow tasks may be kept on this worker's sticky queue. Turn it
 *     off for a Temporal server that cannot move a task off the sticky queue of a worker that died
 *     (Temporal's Java test server, the embedded stack): there a killed worker's runs would wait
 *     for ever
 * @param restoreRoots absolute directories restore targets may lie in, besides the spool's own
 *     scratch areas ({@code <spool-dir>/restores}, {@code <spool-dir>/drills}); empty by default
 * @param slots how many tasks the worker runs at once on its shared and its host queue
 */
public record WorkerConfig(
    String hostId,
    Path spoolDir,
    int maxParallelSources,
    boolean stickyExecution,
    List<Path> restoreRoots,
    WorkerSlots slots) {

  public WorkerConfig {
    restoreRoots = List.copyOf(restoreRoots);
  }
}
