package dev.vigil.activities.store;

import dev.vigil.workflows.backup.UploadProgress;
import java.util.Optional;

/**
 * A multipart upload of a file that is still being written, append-only (a sealed file while the
 * dump runs): each part is sent as soon as the file holds all its bytes, so the upload step later
 * finds them in the store and only completes the upload. Made by {@link
 * ObjectStore#uploadWhileWriting}. It is never completed here: completing stays the upload step's
 * job, after the dump was checked. A failure to send a part gives the upload up (aborted); the
 * upload step then sends the whole file as it would have without this.
 */
public interface GrowingUpload {

  /**
   * The file now holds {@code bytes} bytes that will not change (written to the file, not merely
   * buffered): every part they complete is queued. Called from the writing thread; does not wait
   * for the network.
   */
  void written(long bytes);

  /**
   * The file is complete at {@code size} bytes: sends the parts not sent yet, the short last one
   * too, and waits for them, calling {@code whileWaiting} about once a second (a heartbeat; an
   * exception from it aborts the upload and is thrown). Returns what the upload step resumes from
   * (every part in the store), or empty when no upload was started (a file smaller than one part)
   * or it was given up.
   */
  Optional<UploadProgress> finish(long size, Runnable whileWaiting);

  /**
   * Gives the upload up: stops sending, waits for the parts in flight and aborts the multipart
   * upload, so none of its parts stays stored or billed. Safe to call more than once and after
   * {@link #finish}.
   */
  void abort();
}
