package dev.vigil.activities.retention;

import dev.vigil.activities.store.ColdRestoreState;
import dev.vigil.activities.store.ObjectStore;

/**
 * Makes archived objects readable again. S3 restores GLACIER and DEEP_ARCHIVE objects on request,
 * over hours; the embedded S3 server has no such API, so the call sits behind this interface and
 * tests use a fake that takes its time.
 */
public interface ColdRestorer {

  /** Requests a restore of {@code key} for {@code days}; returns the state the store reports. */
  ColdRestoreState request(ObjectStore store, String key, int days);

  /** The object's state now. */
  ColdRestoreState state(ObjectStore store, String key);

  /** The store's own restore API. */
  ColdRestorer STORE =
      new ColdRestorer() {
        @Override
        public ColdRestoreState request(ObjectStore store, String key, int days) {
          return store.requestRestore(key, days);
        }

        @Override
        public ColdRestoreState state(ObjectStore store, String key) {
          return store.restoreState(key);
        }
      };
}
