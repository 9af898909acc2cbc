import dev.vigil.activities.common.Crc64Nvme;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

/**
 * Checksum throughput on this machine, side by side in one run (see crc-bench.sh): Vigil's
 * CRC64NVME against the one-lane slicing-by-8 it replaced, the JDK's CRC32C (a CPU instruction) and
 * SHA-256 (the other per-byte digest a backup takes). Prints the median GB/s of ROUNDS passes over
 * MIB MiB, fed in 1 MiB updates as a backup feeds its sealed segments.
 */
public final class CrcSpeed {
  private static final int BUFFER = 1 << 20;

  public static void main(String[] args) throws Exception {
    int mib = Integer.parseInt(args[0]);
    int rounds = Integer.parseInt(args[1]);
    byte[] buffer = new byte[BUFFER];
    new Random(1).nextBytes(buffer);
    if (OneLane.of(buffer) != Crc64Nvme.of(buffer)) {
      throw new IllegalStateException("the one-lane CRC64NVME disagrees with Vigil's");
    }
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    List<String> names = List.of("crc64nvme-vigil", "crc64nvme-one-lane", "crc32c-jdk", "sha256-jdk");
    List<List<Double>> speeds = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      speeds.add(new ArrayList<>());
    }
    long sink = 0;
    // Round 0 warms every method up (C2); it is not counted.
    for (int round = 0; round <= rounds; round++) {
      for (int which = 0; which < names.size(); which++) {
        long start = System.nanoTime();
        for (int n = 0; n < mib; n++) {
          switch (which) {
            case 0 -> {
              Crc64Nvme crc = new Crc64Nvme();
              crc.update(buffer, 0, BUFFER);
              sink += crc.value();
            }
            case 1 -> sink += OneLane.of(buffer);
            case 2 -> {
              CRC32C crc = new CRC32C();
              crc.update(buffer, 0, BUFFER);
              sink += crc.getValue();
            }
            default -> {
              sha256.update(buffer, 0, BUFFER);
              sink += sha256.digest()[0];
            }
          }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (round > 0) {
          speeds.get(which).add(mib * (double) BUFFER / seconds / 1e9);
        }
      }
    }
    for (int which = 0; which < names.size(); which++) {
      List<Double> sorted = new ArrayList<>(speeds.get(which));
      Collections.sort(sorted);
      System.out.printf("%s\t%.2f%n", names.get(which), sorted.get(sorted.size() / 2));
    }
    if (sink == 42) {
      System.out.println();
    }
  }

  /** Vigil's CRC64NVME before the lanes, as it was: slicing by eight, one dependency chain. */
  static final class OneLane {
    private static final long[][] TABLE = new long[8][256];

    static {
      for (int n = 0; n < 256; n++) {
        long crc = n;
        for (int k = 0; k < 8; k++) {
          crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x9a6c9329ac4bc9b5L : crc >>> 1;
        }
        TABLE[0][n] = crc;
      }
      for (int n = 0; n < 256; n++) {
        long crc = TABLE[0][n];
        for (int k = 1; k < 8; k++) {
          crc = TABLE[0][(int) (crc & 0xff)] ^ (crc >>> 8);
          TABLE[k][n] = crc;
        }
      }
    }

    static long of(byte[] bytes) {
      long value = -1L;
      int index = 0;
      long[] t0 = TABLE[0];
      long[] t1 = TABLE[1];
      long[] t2 = TABLE[2];
      long[] t3 = TABLE[3];
      long[] t4 = TABLE[4];
      long[] t5 = TABLE[5];
      long[] t6 = TABLE[6];
      long[] t7 = TABLE[7];
      while (bytes.length - index >= 8) {
        value ^=
            (bytes[index] & 0xffL)
                | (bytes[index + 1] & 0xffL) << 8
                | (bytes[index + 2] & 0xffL) << 16
                | (bytes[index + 3] & 0xffL) << 24
                | (bytes[index + 4] & 0xffL) << 32
                | (bytes[index + 5] & 0xffL) << 40
                | (bytes[index + 6] & 0xffL) << 48
                | (bytes[index + 7] & 0xffL) << 56;
        value =
            t7[(int) (value & 0xff)]
                ^ t6[(int) ((value >>> 8) & 0xff)]
                ^ t5[(int) ((value >>> 16) & 0xff)]
                ^ t4[(int) ((value >>> 24) & 0xff)]
                ^ t3[(int) ((value >>> 32) & 0xff)]
                ^ t2[(int) ((value >>> 40) & 0xff)]
                ^ t1[(int) ((value >>> 48) & 0xff)]
                ^ t0[(int) (value >>> 56)];
        index += 8;
      }
      while (index < bytes.length) {
        value = t0[(int) ((value ^ bytes[index]) & 0xff)] ^ (value >>> 8);
        index++;
      }
      return ~value;
    }
  }
}
