package dev.vigil.activities.store;

import dev.vigil.activities.common.Crc64Nvme;
import dev.vigil.activities.common.Digests;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The checksums of a file taken from the bytes as they were written to it, so its upload need not
 * read it a second time: the CRC64NVME of every {@link #BLOCK} bytes (the last block may be
 * shorter) and the SHA-256 of all of it. A part that starts and ends on block boundaries gets its
 * CRC by combining blocks; the store computes the CRC of the bytes it receives and refuses a part
 * or an upload whose CRC differs, so a file changed on disk since it was written is never stored
 * under these checksums.
 */
public final class WrittenChecksums {
  /** Part sizes that are a multiple of this use the written CRCs (S3's are whole MiB). */
  public static final int BLOCK = 1 << 20;

  /**
   * Column {@code j}: the CRC {@code 1 << j} becomes when a full block follows it. Combining a
   * block is then 64 steps, not {@link Crc64Nvme#combine}'s repeated matrix squaring.
   */
  private static final long[] BLOCK_SHIFT = new long[64];

  static {
    for (int bit = 0; bit < 64; bit++) {
      BLOCK_SHIFT[bit] = Crc64Nvme.combine(1L << bit, 0, BLOCK);
    }
  }

  private final long size;
  private final long[] blocks;
  private final String sha256;

  private WrittenChecksums(long size, long[] blocks, String sha256) {
    this.size = size;
    this.blocks = blocks;
    this.sha256 = sha256;
  }

  /** The file's length. */
  public long size() {
    return size;
  }

  /** The hex SHA-256 of the file. */
  public String sha256() {
    return sha256;
  }

  /** Whether parts of {@code partSize} bytes start and end on block boundaries. */
  boolean fits(long partSize) {
    return partSize > 0 && partSize % BLOCK == 0;
  }

  /** The CRC64NVME of {@code length} bytes from {@code offset}, both on block boundaries. */
  long crc(long offset, long length) {
    if (offset % BLOCK != 0 || (length % BLOCK != 0 && offset + length != size)) {
      throw new IllegalArgumentException(
          "range " + offset + "+" + length + " does not fall on " + BLOCK + "-byte blocks");
    }
    long crc = 0;
    long end = offset + length;
    for (long start = offset; start < end; start += BLOCK) {
      long blockLength = Math.min(BLOCK, end - start);
      long block = blocks[(int) (start / BLOCK)];
      crc =
          blockLength == BLOCK
              ? shiftByBlock(crc) ^ block
              : Crc64Nvme.combine(crc, block, blockLength);
    }
    return crc;
  }

  /** {@code Crc64Nvme.combine(crc, 0, BLOCK)}: the operator is linear, applied bit by bit. */
  private static long shiftByBlock(long crc) {
    long shifted = 0;
    for (int bit = 0; bit < 64; bit++) {
      if ((crc >>> bit & 1) != 0) {
        shifted ^= BLOCK_SHIFT[bit];
      }
    }
    return shifted;
  }

  /** The CRC64NVME of the whole file. */
  long whole() {
    return crc(0, size);
  }

  /** Takes the checksums of bytes in the order they are written. Not thread-safe. */
  public static final class Recorder {
    private final MessageDigest sha256 = Digests.sha256();
    private long[] blocks = new long[32];
    private int count;
    private Crc64Nvme block = new Crc64Nvme();
    private int blockFill;
    private long size;

    /** Adds {@code length} bytes of {@code bytes} from {@code offset}. */
    public void update(byte[] bytes, int offset, int length) {
      sha256.update(bytes, offset, length);
      size += length;
      int position = offset;
      int end = offset + length;
      while (position < end) {
        int take = Math.min(end - position, BLOCK - blockFill);
        block.update(bytes, position, take);
        blockFill += take;
        position += take;
        if (blockFill == BLOCK) {
          endBlock();
        }
      }
    }

    /** The checksums of everything added; the recorder is not used after this. */
    public WrittenChecksums finish() {
      if (blockFill > 0) {
        endBlock();
      }
      return new WrittenChecksums(size, Arrays.copyOf(blocks, count), Digests.hex(sha256));
    }

    private void endBlock() {
      if (count == blocks.length) {
        blocks = Arrays.copyOf(blocks, count * 2);
      }
      blocks[count++] = block.value();
      block = new Crc64Nvme();
      blockFill = 0;
    }
  }
}
