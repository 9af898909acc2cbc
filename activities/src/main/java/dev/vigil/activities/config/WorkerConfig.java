package dev.vigil.activities.config;

import java.nio.file.Path;

/**
 * The worker host.
 *
 * @param hostId stable across restarts so a restarted worker resumes its spool's runs
 * @param spoolDir where dumps are written before they are sealed and uploaded
 * @param maxParallelSources sources backed up at once by one plan run
 */
public record WorkerConfig(String hostId, Path spoolDir, int maxParallelSources) {}
