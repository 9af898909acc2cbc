package dev.vigil.activities.check;

import java.util.List;

/**
 * What one check of {@code vigil check} found for one source.
 *
 * @param check which check: {@code wal} (the WAL chain of a physical source), {@code objects} (the
 *     catalog's rows against the repository's objects) or {@code data} (the objects read back)
 * @param problems one per problem; empty when all is well
 * @param notes lines worth showing that are not problems (each backup read back, cold objects not
 *     read)
 * @param summary one line when all is well
 */
public record CheckResult(
    String source, String check, List<CheckProblem> problems, List<String> notes, String summary) {
  public boolean ok() {
    return problems.isEmpty();
  }
}
