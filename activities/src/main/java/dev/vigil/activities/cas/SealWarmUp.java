package dev.vigil.activities.cas;

import dev.vigil.activities.crypto.EncryptionKey;
import dev.vigil.activities.store.WrittenChecksums;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Gets the backup write path's hot methods (HMAC-SHA256 chunk ids, AES-GCM sealing, SHA-256 and
 * CRC64NVME of packs) compiled by C2 once per JVM, on a daemon thread, right after a worker starts.
 * The CPU's AES, carry-less multiply and SHA instructions are used only from C2-compiled callers,
 * and a backup calls these methods once per 1 MiB chunk: a fresh worker's first backup of a few GiB
 * otherwise runs them as plain Java for most of its length. Many tiny operations reach the compile
 * thresholds in well under a second of one core; a backup that starts meanwhile just runs slower.
 */
public final class SealWarmUp {
  /** Enough calls for C2 to compile the callers of the intrinsics (its threshold is 10,000). */
  static final int OPERATIONS = 20_000;

  private static final AtomicBoolean STARTED = new AtomicBoolean();

  private SealWarmUp() {}

  /** Starts the warm-up on a daemon thread, the first time it is called in this JVM only. */
  public static void startOnce() {
    if (!STARTED.compareAndSet(false, true)) {
      return;
    }
    Thread thread = new Thread(SealWarmUp::run, "vigil-seal-warm-up");
    thread.setDaemon(true);
    thread.setPriority(Thread.MIN_PRIORITY);
    thread.start();
  }

  /** Seals, names and checksums {@link #OPERATIONS} small chunks under a throwaway key. */
  static long run() {
    byte[] material = new byte[32];
    ChunkCrypto crypto = new ChunkCrypto(EncryptionKey.of(material, "warm-up"));
    // Big enough to take the paths a 1 MiB chunk takes (whole 16-byte blocks, several of them).
    byte[] data = new byte[1024];
    long sink = 0;
    for (int i = 0; i < OPERATIONS; i++) {
      data[i % data.length] ^= (byte) i;
      String id = crypto.id(data, data.length);
      // Small slices: the calls a 1 MiB chunk makes in 16 KiB slices, many times over.
      byte[] sealed = crypto.seal(id, data, data.length, false, 256);
      WrittenChecksums.Recorder checksums = new WrittenChecksums.Recorder();
      checksums.update(sealed, 0, sealed.length);
      sink += checksums.finish().sha256().charAt(0);
    }
    return sink;
  }
}
