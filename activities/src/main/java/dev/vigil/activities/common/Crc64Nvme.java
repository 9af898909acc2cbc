package dev.vigil.activities.common;

import java.util.Base64;

/**
 * CRC-64/NVME, the checksum S3 computes over a whole object ({@code x-amz-checksum-crc64nvme}, type
 * FULL_OBJECT): reflected polynomial {@code 0x9a6c9329ac4bc9b5}, initial value and final xor all
 * ones. The AWS SDK's own implementation needs the native aws-crt library, so Vigil carries this
 * pure-Java one (slicing by eight, about a byte per cycle). Not thread-safe; one per stream.
 *
 * <p>{@link #combine(long, long, long)} joins the CRCs of two adjacent ranges into the CRC of both
 * without reading them again, which is how S3 derives an object's CRC from its parts.
 */
public final class Crc64Nvme {
  private static final long POLY = 0x9a6c9329ac4bc9b5L;
  private static final long[][] TABLE = new long[8][256];

  static {
    for (int n = 0; n < 256; n++) {
      long crc = n;
      for (int k = 0; k < 8; k++) {
        crc = (crc & 1) != 0 ? (crc >>> 1) ^ POLY : crc >>> 1;
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

  /** The CRC register, kept inverted as the algorithm defines it. */
  private long crc = -1L;

  /** Adds {@code length} bytes of {@code bytes} from {@code offset}. */
  public void update(byte[] bytes, int offset, int length) {
    long value = crc;
    int index = offset;
    int end = offset + length;
    long[] t0 = TABLE[0];
    long[] t1 = TABLE[1];
    long[] t2 = TABLE[2];
    long[] t3 = TABLE[3];
    long[] t4 = TABLE[4];
    long[] t5 = TABLE[5];
    long[] t6 = TABLE[6];
    long[] t7 = TABLE[7];
    while (end - index >= 8) {
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
    while (index < end) {
      value = t0[(int) ((value ^ bytes[index]) & 0xff)] ^ (value >>> 8);
      index++;
    }
    crc = value;
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
