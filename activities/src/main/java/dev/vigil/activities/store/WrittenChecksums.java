package dev.vigil.activities.store;

import dev.vigil.activities.common.Crc64Nvme;
import dev.vigil.activities.common.Digests;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Optional;

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
    return combineBlocks(blocks, size, offset, length);
  }

  /**
   * The CRC of a range of a file of {@code size} bytes whose blocks' CRCs are {@code blocks}: the
   * range starts on a block boundary and ends on one or at {@code size}.
   */
  private static long combineBlocks(long[] blocks, long size, long offset, long length) {
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

  private static final byte[] MAGIC = "VGLSUMS1".getBytes(StandardCharsets.US_ASCII);

  /**
   * Keeps these checksums beside the file they describe ({@code sums}, written whole or not at
   * all), so a later step, even in another worker process, can upload the file without reading it
   * twice.
   */
  public void writeTo(Path sums) throws IOException {
    Path partial = sums.resolveSibling(sums.getFileName() + ".partial");
    try (OutputStream file = Files.newOutputStream(partial);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(file))) {
      out.write(MAGIC);
      out.writeLong(size);
      out.write(sha256.getBytes(StandardCharsets.US_ASCII));
      out.writeInt(blocks.length);
      for (long block : blocks) {
        out.writeLong(block);
      }
    }
    Files.move(partial, sums, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * The checksums {@link #writeTo} kept in {@code sums}, if that file exists and describes a file
   * of {@code size} bytes with SHA-256 {@code sha256}; empty otherwise (absent, written by an older
   * worker, cut short, or of another file), and the caller reads the file to checksum it.
   */
  public static Optional<WrittenChecksums> readFrom(Path sums, long size, String sha256) {
    try (InputStream file = Files.newInputStream(sums);
        DataInputStream in = new DataInputStream(new BufferedInputStream(file))) {
      byte[] magic = in.readNBytes(MAGIC.length);
      if (!Arrays.equals(magic, MAGIC) || in.readLong() != size) {
        return Optional.empty();
      }
      String hex = new String(in.readNBytes(64), StandardCharsets.US_ASCII);
      int count = in.readInt();
      if (!hex.equals(sha256) || count != (size + BLOCK - 1) / BLOCK) {
        return Optional.empty();
      }
      long[] blocks = new long[count];
      for (int index = 0; index < count; index++) {
        blocks[index] = in.readLong();
      }
      return in.read() == -1
          ? Optional.of(new WrittenChecksums(size, blocks, hex))
          : Optional.empty();
    } catch (IOException e) {
      // Absent (NoSuchFileException) or unreadable: the caller reads the file instead.
      return Optional.empty();
    }
  }

  /** Takes the checksums of bytes in the order they are written. Not thread-safe. */
  public static final class Recorder {
    private final MessageDigest sha256;
    private long[] blocks = new long[32];
    private int count;
    private Crc64Nvme block = new Crc64Nvme();
    private int blockFill;
    private long size;

    /** Takes the CRCs and the SHA-256. */
    public Recorder() {
      this(true);
    }

    private Recorder(boolean sha256) {
      this.sha256 = sha256 ? Digests.sha256() : null;
    }

    /**
     * Takes the CRCs only, for bytes whose SHA-256 is taken elsewhere (a sealed stream's); finish
     * it with {@link #finish(String)}.
     */
    public static Recorder crcOnly() {
      return new Recorder(false);
    }

    /** Adds {@code length} bytes of {@code bytes} from {@code offset}. */
    public void update(byte[] bytes, int offset, int length) {
      if (sha256 != null) {
        sha256.update(bytes, offset, length);
      }
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
      if (sha256 == null) {
        throw new IllegalStateException("a CRC-only recorder is finished with the SHA-256");
      }
      return finish(Digests.hex(sha256));
    }

    /** As {@link #finish()}, with the SHA-256 of the bytes taken elsewhere. */
    public WrittenChecksums finish(String sha256Hex) {
      if (blockFill > 0) {
        endBlock();
      }
      return new WrittenChecksums(size, Arrays.copyOf(blocks, count), sha256Hex);
    }

    /** Bytes added so far. */
    public long size() {
      return size;
    }

    /**
     * The CRC64NVME of {@code length} bytes from {@code offset} of what was added so far: both on
     * block boundaries and the blocks complete (the end may also be where the bytes end, once all
     * are added). For the parts of a file sent while it is still written.
     */
    public long crc(long offset, long length) {
      if (offset + length > size) {
        throw new IllegalArgumentException(
            "range " + offset + "+" + length + " is past the " + size + " bytes added");
      }
      long end = offset + length;
      if (end == size && blockFill > 0) {
        // The block being filled ends the range: its CRC so far, after the complete ones.
        long complete = end - blockFill;
        long head =
            complete > offset ? combineBlocks(blocks, complete, offset, complete - offset) : 0;
        return Crc64Nvme.combine(head, block.value(), blockFill);
      }
      return combineBlocks(blocks, size, offset, length);
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
