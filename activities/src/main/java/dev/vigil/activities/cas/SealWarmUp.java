package dev.vigil.activities.cas;

import dev.vigil.activities.crypto.EncryptionKey;
import dev.vigil.activities.store.WrittenChecksums;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Gets the backup write path's hot methods (HMAC-SHA256 chunk ids, AES-GCM sealing, SHA-256 and
 * CRC64NVME of packs) and the restore read path's (AES-GCM opening of chunks and of the streaming
 * AEAD's segments) compiled by C2 once per JVM, on a daemon thread, right after a worker starts.
 * The CPU's AES, carry-less multiply and SHA instructions are used only from C2-compiled callers,
 * and a backup or a restore calls these methods once per 1 MiB chunk or segment: a fresh worker's
 * first backup or restore of a few GiB otherwise runs them as plain Java for most of its length
 * (JDK 17 opened 1 MiB at about 75 MB/s for the first ~600 MiB, then at 1-3 GB/s). Many small
 * operations reach the compile thresholds in about 1.5 s of one core; a backup or restore that
 * starts meanwhile just runs slower. {@code bench/warmup-bench.sh} measures it.
 */
public final class SealWarmUp {
  /** Enough calls for C2 to compile the callers of the intrinsics (its threshold is 10,000). */
  static final int OPERATIONS = 20_000;

  /**
   * Openings of {@link #OPEN_BYTES}: a decryption this large takes JDK 17's AES-GCM intrinsic only
   * in a caller C2 compiled with that branch taken, which 1 KiB openings never take; 2,000 of 64
   * KiB do (measured: 16 KiB ones did not, 1 MiB ones need hundreds of slow calls).
   */
  static final int OPENINGS = 2_000;

  static final int OPEN_BYTES = 64 * 1024;

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

  /**
   * Seals, names and checksums {@link #OPERATIONS} small chunks, then opens a 64 KiB one {@link
   * #OPENINGS} times, under a throwaway key, on the calling thread (public for {@code
   * bench/WarmUpSpeed.java}).
   */
  public static long run() {
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
    byte[] block = new byte[OPEN_BYTES];
    String blockId = crypto.id(block, block.length);
    byte[] sealedBlock = crypto.seal(blockId, block, block.length, false);
    for (int i = 0; i < OPENINGS; i++) {
      byte[] opened = crypto.open(blockId, sealedBlock);
      if (opened == null) {
        throw new IllegalStateException("the warm-up's own chunk does not open");
      }
      sink += opened[i % opened.length];
    }
    return sink;
  }
}
