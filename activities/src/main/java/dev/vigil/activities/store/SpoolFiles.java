package dev.vigil.activities.store;

import dev.vigil.activities.common.Crc64Nvme;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The spool file an upload reads: every store fails alike when it is gone or changes. */
final class SpoolFiles {
  private SpoolFiles() {}

  static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (NoSuchFileException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "spool file " + file + " to upload does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the size of spool file " + file, e);
    }
  }

  /** Fails if the spool file is gone or has changed size since the upload began. */
  static void requireUnchanged(Path file, long size, String key) {
    if (spoolChanged(file, size)) {
      throw spoolChangedFailure(file, key);
    }
  }

  static boolean spoolChanged(Path file, long size) {
    try {
      return Files.size(file) != size;
    } catch (IOException e) {
      return true;
    }
  }

  /**
   * After the store refused the CRC64NVME taken while {@code file} was written for its range {@code
   * offset}+{@code length}: fails with SPOOL_MISSING (no retry can fix it) if the bytes on disk no
   * longer have that CRC; returns if they do (the bytes were damaged on the way, which a retry
   * fixes).
   */
  static void requireWrittenCrc(Path file, long offset, long length, long crc, String key) {
    long onDisk;
    try {
      onDisk = crcOf(file, offset, length);
    } catch (IOException e) {
      throw spoolChangedFailure(file, key);
    }
    if (onDisk != crc) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING,
          "spool file "
              + file
              + " changed on disk after it was sealed (bytes "
              + offset
              + "-"
              + (offset + length - 1)
              + " no longer have the CRC64NVME taken while sealing, and the store refused them"
              + " for '"
              + key
              + "'); the backup must be dumped again");
    }
  }

  /**
   * The CRC64NVME of {@code length} bytes of {@code file} from {@code offset}, read through one
   * buffer of at most 1 MiB; EOFException if the file ends before them.
   */
  static long crcOf(Path file, long offset, long length) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      Crc64Nvme crc = new Crc64Nvme();
      byte[] buffer = new byte[(int) Math.min(1 << 20, Math.max(1, length))];
      long position = offset;
      long end = offset + length;
      while (position < end) {
        int read =
            channel.read(
                ByteBuffer.wrap(buffer, 0, (int) Math.min(buffer.length, end - position)),
                position);
        if (read < 0) {
          throw new EOFException("shorter than the " + end + " bytes written");
        }
        crc.update(buffer, 0, read);
        position += read;
      }
      return crc.value();
    }
  }

  static VigilException spoolChangedFailure(Path file, String key) {
    return new VigilException(
        ErrorType.SPOOL_MISSING,
        "spool file "
            + file
            + " disappeared or changed size while it was uploaded to '"
            + key
            + "'; the backup must be dumped again");
  }
}
