package dev.vigil.activities.common;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.Objects;

/**
 * CRC-64/NVME, the checksum S3 computes over a whole object ({@code x-amz-checksum-crc64nvme}, type
 * FULL_OBJECT): reflected polynomial {@code 0x9a6c9329ac4bc9b5}, initial value and final xor all
 * ones. The AWS SDK's own implementation needs the native aws-crt library, so Vigil carries this
 * pure-Java one. Not thread-safe; one per stream.
 *
 * <p>Slicing by eight (eight bytes per step, read as one little-endian long, through one flat table
 * the JIT can index without bounds checks), over three interleaved lanes: a step's eight table
 * reads wait for the step before, so one lane leaves the CPU idle most of the time, and three
 * independent lanes of {@link #LANE} bytes each keep it busy; the lanes are then joined with a
 * precomputed "advance by {@link #LANE} zero bytes" operator. About three times one lane's speed
 * ({@code bench/crc-bench.sh} runs both side by side), on every byte a backup seals and uploads.
 *
 * <p>{@link #combine(long, long, long)} joins the CRCs of two adjacent ranges into the CRC of both
 * without reading them again, which is how S3 derives an object's CRC from its parts.
 */
public final class Crc64Nvme {
  private static final long POLY = 0x9a6c9329ac4bc9b5L;

  /** Bytes per lane; an update of at least three lanes takes the interleaved path. */
  static final int LANE = 2048;

  /** Slicing-by-8 tables, table k at {@code 256 * k}: the CRC of byte b followed by k zeros. */
  private static final long[] TABLE = new long[8 * 256];

  /** The linear operator "advance the register over {@link #LANE} zero bytes", bytewise. */
  private static final long[] ADVANCE_LANE = new long[8 * 256];

  private static final VarHandle LITTLE_ENDIAN_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  static {
    for (int n = 0; n < 256; n++) {
      long crc = n;
      for (int k = 0; k < 8; k++) {
        crc = (crc & 1) != 0 ? (crc >>> 1) ^ POLY : crc >>> 1;
      }
      TABLE[n] = crc;
    }
    for (int n = 0; n < 256; n++) {
      long crc = TABLE[n];
      for (int k = 1; k < 8; k++) {
        crc = TABLE[(int) (crc & 0xff)] ^ (crc >>> 8);
        TABLE[256 * k + n] = crc;
      }
    }
    long[] basis = new long[64];
    for (int bit = 0; bit < 64; bit++) {
      basis[bit] = combine(1L << bit, 0, LANE);
    }
    for (int k = 0; k < 8; k++) {
      for (int b = 0; b < 256; b++) {
        long sum = 0;
        for (int j = 0; j < 8; j++) {
          if ((b >>> j & 1) != 0) {
            sum ^= basis[8 * k + j];
          }
        }
        ADVANCE_LANE[256 * k + b] = sum;
      }
    }
  }

  /** The CRC register, kept inverted as the algorithm defines it. */
  private long crc = -1L;

  /** Adds {@code length} bytes of {@code bytes} from {@code offset}. */
  public void update(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    long value = crc;
    int index = offset;
    int end = offset + length;
    while (end - index >= 3 * LANE) {
      // Lane one carries the register; lanes two and three start from zero (the CRC is linear).
      long first = value;
      long second = 0;
      long third = 0;
      for (int at = index, stop = index + LANE; at < stop; at += 8) {
        first = eightBytes(first ^ (long) LITTLE_ENDIAN_LONG.get(bytes, at));
        second = eightBytes(second ^ (long) LITTLE_ENDIAN_LONG.get(bytes, at + LANE));
        third = eightBytes(third ^ (long) LITTLE_ENDIAN_LONG.get(bytes, at + 2 * LANE));
      }
      value = advanceLane(advanceLane(first) ^ second) ^ third;
      index += 3 * LANE;
    }
    while (end - index >= 8) {
      value = eightBytes(value ^ (long) LITTLE_ENDIAN_LONG.get(bytes, index));
      index += 8;
    }
    while (index < end) {
      value = TABLE[(int) ((value ^ bytes[index]) & 0xff)] ^ (value >>> 8);
      index++;
    }
    crc = value;
  }

  /** The register after eight more bytes, already xored into it. */
  private static long eightBytes(long value) {
    return TABLE[7 * 256 + (int) (value & 0xff)]
        ^ TABLE[6 * 256 + (int) ((value >>> 8) & 0xff)]
        ^ TABLE[5 * 256 + (int) ((value >>> 16) & 0xff)]
        ^ TABLE[4 * 256 + (int) ((value >>> 24) & 0xff)]
        ^ TABLE[3 * 256 + (int) ((value >>> 32) & 0xff)]
        ^ TABLE[2 * 256 + (int) ((value >>> 40) & 0xff)]
        ^ TABLE[256 + (int) ((value >>> 48) & 0xff)]
        ^ TABLE[(int) (value >>> 56)];
  }

  /** The register advanced over {@link #LANE} zero bytes. */
  private static long advanceLane(long value) {
    return ADVANCE_LANE[(int) (value & 0xff)]
        ^ ADVANCE_LANE[256 + (int) ((value >>> 8) & 0xff)]
        ^ ADVANCE_LANE[2 * 256 + (int) ((value >>> 16) & 0xff)]
        ^ ADVANCE_LANE[3 * 256 + (int) ((value >>> 24) & 0xff)]
        ^ ADVANCE_LANE[4 * 256 + (int) ((value >>> 32) & 0xff)]
        ^ ADVANCE_LANE[5 * 256 + (int) ((value >>> 40) & 0xff)]
        ^ ADVANCE_LANE[6 * 256 + (int) ((value >>> 48) & 0xff)]
        ^ ADVANCE_LANE[7 * 256 + (int) (value >>> 56)];
  }

  /** The CRC of everything added so far. */
  public long value() {
    return ~crc;
  }

  /** The CRC of {@code bytes}. */
  public static long of(byte[] bytes) {
    Crc64Nvme crc = new Crc64Nvme();
    crc.update(bytes, 0, bytes.length);
    return crc.value();
  }

  /** How S3 writes the checksum in headers and responses: base64 of its 8 bytes, big-endian. */
  public static String base64(long crc) {
    byte[] bytes = new byte[8];
    for (int i = 0; i < 8; i++) {
      bytes[i] = (byte) (crc >>> (56 - 8 * i));
    }
    return Base64.getEncoder().encodeToString(bytes);
  }

  /**
   * The CRC of range A followed by range B, from the CRC of A, the CRC of B and B's length (zlib's
   * crc32_combine, over 64 bits): A's CRC is advanced through {@code lengthB} zero bytes by
   * repeated squaring of the one-zero-bit operator, then xored with B's.
   */
  public static long combine(long crcA, long crcB, long lengthB) {
    if (lengthB <= 0) {
      return crcA;
    }
    long[] even = new long[64];
    long[] odd = new long[64];
    // The operator for one zero bit.
    odd[0] = POLY;
    long row = 1;
    for (int n = 1; n < 64; n++) {
      odd[n] = row;
      row <<= 1;
    }
    square(even, odd); // two zero bits
    square(odd, even); // four zero bits
    long value = crcA;
    long length = lengthB;
    do {
      // Each pass applies one more doubling: first one zero byte, then two, four, ...
      square(even, odd);
      if ((length & 1) != 0) {
        value = times(even, value);
      }
      length >>>= 1;
      if (length == 0) {
        break;
      }
      square(odd, even);
      if ((length & 1) != 0) {
        value = times(odd, value);
      }
      length >>>= 1;
    } while (length != 0);
    return value ^ crcB;
  }

  private static long times(long[] matrix, long vector) {
    long sum = 0;
    int index = 0;
    long bits = vector;
    while (bits != 0) {
      if ((bits & 1) != 0) {
        sum ^= matrix[index];
      }
      bits >>>= 1;
      index++;
    }
    return sum;
  }

  private static void square(long[] square, long[] matrix) {
    for (int n = 0; n < 64; n++) {
      square[n] = times(matrix, matrix[n]);
    }
  }
}
