package dev.vigil.activities.crypto;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.LongConsumer;

/**
 * Seals dumps for storage: zstd (unless the data does not compress), then Tink's AES-256-GCM-HKDF
 * streaming AEAD in 1 MiB segments, hashing the stored bytes on the way. Memory stays flat: data
 * moves through fixed buffers, never whole.
 *
 * <p>Stored format: {@code "VGL1"}, a version byte, a compression byte, the key id
 * (length-prefixed), then Tink's ciphertext. The header and the caller's context (backup id,
 * source) are the AEAD's associated data, so a header edit, a swapped object or another key all
 * fail authentication. New files are sealed with the keyring's current key; a file is opened with
 * the key its header names, so files sealed before a key rotation stay readable. The format did not
 * change with rotation: version 1 headers always carried the key id.
 */
public final class Sealer {
  /** The streaming AEAD format name recorded on backups. */
  public static final String ENCRYPTION = "AES256_GCM_HKDF_1MB";

  private static final byte[] MAGIC = "VGL1".getBytes(StandardCharsets.US_ASCII);
  private static final int VERSION = 1;
  private static final int SEGMENT_SIZE = 1 << 20;
  private static final int BUFFER = 1 << 20;
  static final int SAMPLE = 4 << 20;

  /** Below this compressed/raw ratio on a sample, compression is worth its CPU. */
  private static final double WORTHWHILE_RATIO = 0.9;

  private final Keyring keys;
  private final int zstdLevel;
  private final int zstdWorkers;

  /** A sealer with one key. */
  public Sealer(EncryptionKey key) {
    this(Keyring.of(key));
  }

  public Sealer(Keyring keys) {
    this(keys, 3, Math.max(1, Runtime.getRuntime().availableProcessors()));
  }

  public Sealer(EncryptionKey key, int zstdLevel, int zstdWorkers) {
    this(Keyring.of(key), zstdLevel, zstdWorkers);
  }

  public Sealer(Keyring keys, int zstdLevel, int zstdWorkers) {
    this.keys = keys;
    this.zstdLevel = zstdLevel;
    this.zstdWorkers = zstdWorkers;
  }

  /** The key id newly sealed files carry: the current key's. */
  public String keyId() {
    return keys.current().keyId();
  }

  /**
   * {@code zstd} or {@code none} for {@code configured} = auto: compresses a sample from the start
   * of the file and keeps compression only if it saves at least 10% (model weights do not).
   */
  public String chooseCompression(Path raw, String configured) throws IOException {
    if (!"auto".equals(configured)) {
      return configured;
    }
    byte[] sample = new byte[(int) Math.min(SAMPLE, Files.size(raw))];
    try (InputStream in = Files.newInputStream(raw)) {
      int read = in.readNBytes(sample, 0, sample.length);
      if (read == 0) {
        return "zstd";
      }
      return compresses(sample, read) ? "zstd" : "none";
    }
  }

  /** Whether zstd saves at least 10% on the first {@code length} bytes of {@code sample}. */
  static boolean compresses(byte[] sample, int length) {
    byte[] compressed = Zstd.compress(Arrays.copyOf(sample, length), 1);
    return compressed.length < length * WORTHWHILE_RATIO;
  }

  /**
   * A stream that seals what is written to it into {@code sealed} (the same format as {@link
   * #seal(InputStream, OutputStream, String, String, LongConsumer)}), for a dump that is produced
   * as a stream rather than a file. {@code compression} {@code auto} is decided on the first 4 MiB
   * written, as it is on the first 4 MiB of a file. {@code sealed} is not closed.
   */
  public SealingSink sink(OutputStream sealed, String compression, String context) {
    return new SealingSink(this, keys.current(), sealed, compression, context);
  }

  /** Seals {@code raw} into {@code sealed}; {@code context} binds the ciphertext to its backup. */
  public SealOutcome seal(
      Path raw, Path sealed, String compression, String context, LongConsumer rawBytesRead)
      throws IOException {
    try (InputStream in = Files.newInputStream(raw);
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(sealed), BUFFER)) {
      return seal(in, out, compression, context, rawBytesRead);
    }
  }

  /**
   * Seals the stream {@code raw} into {@code sealed}, through fixed buffers; neither stream is
   * closed, {@code sealed} is flushed. {@code context} binds the ciphertext to what it is stored
   * as.
   */
  public SealOutcome seal(
      InputStream raw,
      OutputStream sealed,
      String compression,
      String context,
      LongConsumer rawBytesRead)
      throws IOException {
    EncryptionKey key = keys.current();
    byte[] header = header(key.keyId(), compression);
    MessageDigest sha256 = Digests.sha256();
    long rawBytes = 0;
    CountingOutputStream stored = new CountingOutputStream(new DigestOutputStream(sealed, sha256));
    try {
      stored.write(header);
      try (OutputStream plain = plaintextSink(key, stored, header, compression, context)) {
        byte[] buffer = new byte[BUFFER];
        int read;
        long reported = 0;
        while ((read = raw.read(buffer)) >= 0) {
          plain.write(buffer, 0, read);
          rawBytes += read;
          if (rawBytes - reported >= 64L * BUFFER) {
            rawBytesRead.accept(rawBytes);
            reported = rawBytes;
          }
        }
      }
      stored.flush();
      rawBytesRead.accept(rawBytes);
      return new SealOutcome(
          rawBytes, stored.count(), HexFormat.of().formatHex(sha256.digest()), compression);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("streaming AEAD unavailable", e);
    }
  }

  /**
   * Streams the plaintext of a sealed stream into {@code out}, opened with the key its header
   * names. ENCRYPTION_KEY_INVALID if that key is not configured; DUMP_INVALID if it was altered or
   * truncated.
   */
  public long unseal(InputStream sealed, OutputStream out, String context) throws IOException {
    return unseal(sealed, out, context, "the data");
  }

  /**
   * {@link #unseal(InputStream, OutputStream, String)}, naming the sealed file as {@code what}
   * (e.g. {@code archived WAL file …}) when the key it was sealed with is not configured.
   */
  public long unseal(InputStream sealed, OutputStream out, String context, String what)
      throws IOException {
    DataInputStream in = new DataInputStream(sealed);
    Opened opened = open(in, context, what);
    long total = 0;
    try (InputStream decrypted = opened.aead().newDecryptingStream(in, opened.associatedData());
        InputStream plain = opened.zstd() ? new ZstdInputStream(decrypted) : decrypted) {
      byte[] buffer = new byte[BUFFER];
      int read;
      while ((read = plain.read(buffer)) >= 0) {
        out.write(buffer, 0, read);
        total += read;
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("streaming AEAD unavailable", e);
    } catch (IOException e) {
      // Tink reports a failed authentication tag as an IOException.
      throw new VigilException(
          ErrorType.DUMP_INVALID,
          "sealed data failed authentication (altered, truncated, or sealed for another backup"
              + " or key): "
              + e.getMessage());
    }
    return total;
  }

  /** A sealed stream's header as read: the AEAD of its key, the associated data, compression. */
  record Opened(AesGcmHkdfStreaming aead, byte[] associatedData, boolean zstd) {}

  /**
   * Reads the Vigil header of {@code in}, leaving it at the start of Tink's ciphertext.
   * ENCRYPTION_KEY_INVALID if the key it names is not configured; DUMP_INVALID if it is not a
   * sealed file.
   */
  Opened open(DataInputStream in, String context, String what) throws IOException {
    byte[] magic = new byte[MAGIC.length];
    int version;
    int compressionCode;
    String storedKeyId;
    try {
      in.readFully(magic);
      version = in.readUnsignedByte();
      compressionCode = in.readUnsignedByte();
      byte[] keyIdBytes = new byte[in.readUnsignedByte()];
      in.readFully(keyIdBytes);
      storedKeyId = new String(keyIdBytes, StandardCharsets.UTF_8);
    } catch (EOFException e) {
      throw new VigilException(ErrorType.DUMP_INVALID, "sealed data is truncated: no header");
    }
    if (!Arrays.equals(magic, MAGIC) || version != VERSION || compressionCode > 1) {
      throw new VigilException(ErrorType.DUMP_INVALID, "not a Vigil sealed file (bad header)");
    }
    EncryptionKey key = keys.require(storedKeyId, what);
    String compression = compressionCode == 1 ? "zstd" : "none";
    // The header as stored: a key found by its fingerprint keeps the id it was sealed under.
    byte[] header = header(storedKeyId, compression);
    try {
      return new Opened(aead(key), associatedData(header, context), compressionCode == 1);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("streaming AEAD unavailable", e);
    }
  }

  OutputStream plaintextSink(
      EncryptionKey key, OutputStream stored, byte[] header, String compression, String context)
      throws IOException, GeneralSecurityException {
    OutputStream encrypted =
        aead(key)
            .newEncryptingStream(
                new NonClosingOutputStream(stored), associatedData(header, context));
    if (!"zstd".equals(compression)) {
      return encrypted;
    }
    ZstdOutputStream zstd = new ZstdOutputStream(encrypted, zstdLevel);
    if (zstdWorkers > 1) {
      zstd.setWorkers(zstdWorkers);
    }
    return new BufferedOutputStream(zstd, BUFFER);
  }

  private static AesGcmHkdfStreaming aead(EncryptionKey key) throws GeneralSecurityException {
    return new AesGcmHkdfStreaming(key.streamingIkm(), "HmacSha256", 32, SEGMENT_SIZE, 0);
  }

  static byte[] header(String storedKeyId, String compression) {
    byte[] keyId = storedKeyId.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    header.writeBytes(MAGIC);
    header.write(VERSION);
    header.write("zstd".equals(compression) ? 1 : 0);
    header.write(keyId.length);
    header.writeBytes(keyId);
    return header.toByteArray();
  }

  private static byte[] associatedData(byte[] header, String context) {
    ByteArrayOutputStream aad = new ByteArrayOutputStream();
    aad.writeBytes(header);
    aad.writeBytes(context.getBytes(StandardCharsets.UTF_8));
    return aad.toByteArray();
  }

  /** Counts bytes written through it. */
  static final class CountingOutputStream extends FilterOutputStream {
    private long count;

    CountingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }

    long count() {
      return count;
    }
  }

  /** Lets the AEAD stream finish its last segment without closing the file under it. */
  private static final class NonClosingOutputStream extends FilterOutputStream {
    NonClosingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      out.flush();
    }
  }
}
