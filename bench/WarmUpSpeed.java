import dev.vigil.activities.cas.ChunkCrypto;
import dev.vigil.activities.cas.SealWarmUp;
import dev.vigil.activities.crypto.EncryptionKey;
import dev.vigil.activities.crypto.Sealer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.Random;

/**
 * One fresh JVM's first decryptions, as a restore makes them, with or without the worker's warm-up
 * first (bench/warmup-bench.sh runs it in new JVMs side by side): MIB MiB of 1 MiB chunks through
 * ChunkCrypto.open (a chunked directory restore) and MIB MiB through Sealer.unseal (the streaming
 * AEAD's 1 MiB segments, a database restore; stored uncompressed so only the AEAD is timed).
 *
 * <p>Prints "warm-up MS", "open MB/s" and "unseal MB/s".
 */
public class WarmUpSpeed {
  public static void main(String[] args) throws Exception {
    boolean warm = args[0].equals("warm");
    int mib = Integer.parseInt(args[1]);
    byte[] material = new byte[32];
    new Random(7).nextBytes(material);
    EncryptionKey key = EncryptionKey.of(material, "bench");
    byte[] data = new byte[1 << 20];
    new Random(11).nextBytes(data);
    ChunkCrypto crypto = new ChunkCrypto(key);
    String id = crypto.id(data, data.length);
    byte[] chunk = crypto.seal(id, data, data.length, false);
    Sealer sealer = new Sealer(key, 3, 1);
    ByteArrayOutputStream sealed = new ByteArrayOutputStream();
    try (var sink = sealer.sink(sealed, "none", "bench")) {
      for (int i = 0; i < mib; i++) {
        sink.write(data);
      }
      sink.finish();
    }
    byte[] stream = sealed.toByteArray();

    long start = System.nanoTime();
    if (warm) {
      SealWarmUp.run();
    }
    System.out.printf("warm-up %.0f%n", (System.nanoTime() - start) / 1e6);
    start = System.nanoTime();
    for (int i = 0; i < mib; i++) {
      if (crypto.open(id, chunk) == null) {
        throw new AssertionError("the chunk does not open");
      }
    }
    System.out.printf("open %.0f%n", mib * 1.048576 / ((System.nanoTime() - start) / 1e9));
    start = System.nanoTime();
    long out = sealer.unseal(new ByteArrayInputStream(stream), OutputStream.nullOutputStream(), "bench");
    if (out != (long) mib << 20) {
      throw new AssertionError("unsealed " + out + " bytes");
    }
    System.out.printf("unseal %.0f%n", mib * 1.048576 / ((System.nanoTime() - start) / 1e9));
  }
}
