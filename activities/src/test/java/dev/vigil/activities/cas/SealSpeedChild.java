package dev.vigil.activities.cas;

import dev.vigil.activities.crypto.EncryptionKey;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/**
 * A fresh JVM for {@link ChunkCryptoSealTest}: seals 1 MiB chunks and prints the CPU milliseconds
 * 64 of them took, either first thing after {@link SealWarmUp#run()} ({@code warm}) or after 128
 * chunks sealed without a warm-up ({@code steady}). A fresh JVM, so what other tests compiled
 * before does not count.
 */
public final class SealSpeedChild {
  private SealSpeedChild() {}

  public static void main(String[] args) {
    boolean warm = args[0].equals("warm");
    if (warm) {
      SealWarmUp.run();
    }
    ChunkCrypto crypto = new ChunkCrypto(EncryptionKey.of(new byte[32], "k1"));
    byte[] data = new byte[1 << 20];
    new Random(5).nextBytes(data);
    String id = crypto.id(data, data.length);
    for (int i = 0; !warm && i < 128; i++) {
      crypto.seal(id, data, data.length, false);
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long start = threads.getCurrentThreadCpuTime();
    for (int i = 0; i < 64; i++) {
      crypto.seal(id, data, data.length, false);
    }
    System.out.println((threads.getCurrentThreadCpuTime() - start) / 1_000_000);
  }
}
