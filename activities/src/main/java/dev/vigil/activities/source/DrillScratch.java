package dev.vigil.activities.source;

import dev.vigil.workflows.restore.RestoreTarget;
import java.nio.file.Path;

/** A drill's throwaway environment as a driver sees it while choosing a source's target. */
public interface DrillScratch {

  /** The drill's id ({@code drill-<plan>-<time>}). */
  String drillId();

  /** A directory of the drill's own, removed on teardown, for {@code sourceName}'s files. */
  Path filesOf(String sourceName);

  /** The restore id a source's restore runs under in this drill (its own servers are named so). */
  default String restoreIdOf(String sourceName) {
    return drillId() + "-restore-" + sourceName;
  }

  /**
   * A database for {@code sourceName} in the drill's shared PostgreSQL cluster (started with the
   * environment when a logical postgres source is in the drill), or an error if there is none.
   */
  RestoreTarget sharedDatabase(String sourceName);
}
