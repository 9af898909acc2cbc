package dev.vigil.workflows.drill;

import dev.vigil.workflows.restore.RestoreTarget;
import java.util.Map;

/**
 * A drill's throwaway environment on one worker host: a fresh PostgreSQL cluster and scratch
 * directories. Only references: the cluster's password is in {@code passwordFile}.
 *
 * @param hostId the worker host it lives on; only that host's queue can tear it down
 * @param scratchDir the directory holding all of it; removed on teardown
 * @param clusterDir the fresh cluster's directory (under {@code scratchDir}), null without one
 * @param port the fresh cluster's port, 0 without one
 * @param targets per source name, where its restore goes
 */
public record DrillEnvironment(
    String drillId,
    String hostId,
    String scratchDir,
    String clusterDir,
    String host,
    int port,
    String passwordFile,
    Map<String, RestoreTarget> targets) {}
