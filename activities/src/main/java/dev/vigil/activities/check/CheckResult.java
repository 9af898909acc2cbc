package dev.vigil.activities.check;

import java.util.List;

/**
 * What one check of {@code vigil check} found for one source.
 *
 * @param check which check: {@code wal} (the WAL chain of a physical source)
 * @param problems one line per problem a person can act on; empty when all is well
 * @param summary one line when all is well
 */
public record CheckResult(String source, String check, List<String> problems, String summary) {
  public boolean ok() {
    return problems.isEmpty();
  }
}
