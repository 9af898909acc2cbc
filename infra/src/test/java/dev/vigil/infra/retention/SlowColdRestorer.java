package dev.vigil.infra.retention;

import dev.vigil.activities.retention.ColdRestorer;
import dev.vigil.activities.store.ColdRestoreState;
import dev.vigil.activities.store.ObjectStore;
import java.util.ArrayList;
import java.util.List;

/**
 * A stand-in for S3's restore API, which the embedded S3 server lacks: a restore is "in progress"
 * for the first {@code checksUntilReadable} state checks, then the object is readable.
 */
final class SlowColdRestorer implements ColdRestorer {
  private final int checksUntilReadable;
  final List<String> requests = new ArrayList<>();
  private int checks;

  SlowColdRestorer(int checksUntilReadable) {
    this.checksUntilReadable = checksUntilReadable;
  }

  @Override
  public synchronized ColdRestoreState request(ObjectStore store, String key, int days) {
    requests.add(key + " for " + days + " days");
    return ColdRestoreState.IN_PROGRESS;
  }

  @Override
  public synchronized ColdRestoreState state(ObjectStore store, String key) {
    checks++;
    return checks >= checksUntilReadable ? ColdRestoreState.READABLE : ColdRestoreState.IN_PROGRESS;
  }
}
