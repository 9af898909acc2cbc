package dev.vigil.activities.cas;

import com.github.luben.zstd.Zstd;
import dev.vigil.activities.crypto.EncryptionKey;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Names and seals chunks with sub-keys of one repository key. A chunk's id is HMAC-SHA256 of its
 * plaintext under an id key, so equal content dedups but ids say nothing about content to the
 * store. Stored form: a 12-byte random nonce, then AES-256-GCM over (a flag byte: 1 zstd, 0 none;
 * the plaintext length as 4 bytes; the data), with the chunk id as associated data, so a chunk
 * moved to another id's place fails to open.
 */
public final class ChunkCrypto {
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;
  private static final int ZSTD_LEVEL = 3;

  /**
   * AES-GCM is given a chunk this much at a time. JDK 17 encrypts a 1 MiB buffer passed in one call
   * with GHASH in plain Java (about 70 MB/s, most of a first backup's CPU), while slices of 16 KiB
   * take the AES and carry-less multiply instructions (GB/s). The output is the same bytes.
   */
  static final int SEAL_SLICE = 16 << 10;

  private final String keyId;
  private final SecretKeySpec idKey;
  private final SecretKeySpec encryptionKey;
  private final SecureRandom random = new SecureRandom();

  public ChunkCrypto(EncryptionKey key) {
    this.keyId = key.keyId();
    this.idKey = new SecretKeySpec(key.subKey("vigil chunk id v1"), "HmacSHA256");
    this.encryptionKey = new SecretKeySpec(key.subKey("vigil chunk encryption v1"), "AES");
  }

  /** The id of the key these chunks are sealed with. */
  public String keyId() {
    return keyId;
  }

  /** The chunk id of {@code data[0, length)}: hex HMAC-SHA256 under the id key. */
  public String id(byte[] data, int length) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(idKey);
      mac.update(data, 0, length);
      return HexFormat.of().formatHex(mac.doFinal());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** Whether zstd shrinks {@code data[0, length)} by at least a tenth: decides a file's mode. */
  public static boolean compresses(byte[] data, int length) {
    return compressedIfSmaller(data, length) != null;
  }

  /**
   * The zstd form of {@code data[0, length)} if it is at least a tenth smaller (the file's mode is
   * then compressed), else null. A file's first chunk is sealed from this very form ({@link
   * #sealCompressed}) rather than compressed a second time.
   */
  public static byte[] compressedIfSmaller(byte[] data, int length) {
    if (length < 64) {
      return null;
    }
    byte[] compressed = Zstd.compress(Arrays.copyOf(data, length), ZSTD_LEVEL);
    return compressed.length < length * 0.9 ? compressed : null;
  }

  /**
   * The stored form of chunk {@code id} of {@code length} bytes from its zstd form {@code
   * compressed} (as {@link #compressedIfSmaller} made it): the same as sealing it compressed.
   */
  public byte[] sealCompressed(String id, int length, byte[] compressed) {
    return sealBody(id, null, length, compressed, SEAL_SLICE);
  }

  /** The stored form of chunk {@code id}, {@code data[0, length)}, compressed if asked. */
  public byte[] seal(String id, byte[] data, int length, boolean compress) {
    return seal(id, data, length, compress, SEAL_SLICE);
  }

  /** As {@link #seal(String, byte[], int, boolean)}, encrypting {@code slice} bytes per call. */
  byte[] seal(String id, byte[] data, int length, boolean compress, int slice) {
    byte[] body = compress ? Zstd.compress(Arrays.copyOf(data, length), ZSTD_LEVEL) : null;
    return sealBody(id, data, length, body, slice);
  }

  /** Seals {@code body} (zstd) when it is set, else {@code data[0, length)} as it is. */
  private byte[] sealBody(String id, byte[] data, int length, byte[] body, int slice) {
    int bodyLength = body == null ? length : body.length;
    ByteBuffer plain = ByteBuffer.allocate(5 + bodyLength);
    plain.put((byte) (body == null ? 0 : 1)).putInt(length);
    if (body == null) {
      plain.put(data, 0, length);
    } else {
      plain.put(body);
    }
    byte[] nonce = new byte[NONCE];
    random.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, encryptionKey, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(HexFormat.of().parseHex(id));
      int end = plain.position();
      byte[] sealed = new byte[NONCE + cipher.getOutputSize(end)];
      System.arraycopy(nonce, 0, sealed, 0, NONCE);
      int written = NONCE;
      int position = 0;
      while (end - position > slice) {
        written += cipher.update(plain.array(), position, slice, sealed, written);
        position += slice;
      }
      cipher.doFinal(plain.array(), position, end - position, sealed, written);
      return sealed;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /**
   * The plaintext of chunk {@code id} from its stored form, once it authenticates and its content
   * hashes to {@code id}; null if either fails (tampered, truncated, another key or chunk).
   */
  public byte[] open(String id, byte[] stored) {
    // On a copy: the caller's stored form is left as it is.
    Plain plain = openInPlace(id, stored.clone(), 0, stored.length);
    if (plain == null) {
      return null;
    }
    return plain.offset() == 0 && plain.length() == plain.array().length
        ? plain.array()
        : Arrays.copyOfRange(plain.array(), plain.offset(), plain.offset() + plain.length());
  }

  /** A chunk's plaintext: {@code array[offset, offset + length)}. */
  public record Plain(byte[] array, int offset, int length) {}

  /**
   * The plaintext of chunk {@code id} stored at {@code stored[offset, offset + storedLength)},
   * decrypted where it lies: an uncompressed chunk's plaintext is a slice of {@code stored} itself
   * (its range overwritten), a compressed one's a new array: no copy of a chunk read from a pack.
   * Null if it does not authenticate or does not hash to {@code id}; that range of {@code stored}
   * then holds nothing usable.
   */
  public Plain openInPlace(String id, byte[] stored, int offset, int storedLength) {
    if (storedLength < NONCE + TAG_BITS / 8 + 5) {
      return null;
    }
    int plainLength;
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.DECRYPT_MODE,
          encryptionKey,
          new GCMParameterSpec(TAG_BITS, stored, offset, NONCE));
      cipher.updateAAD(HexFormat.of().parseHex(id));
      plainLength =
          cipher.doFinal(stored, offset + NONCE, storedLength - NONCE, stored, offset + NONCE);
    } catch (GeneralSecurityException e) {
      return null;
    }
    int start = offset + NONCE;
    byte flag = stored[start];
    int length = ByteBuffer.wrap(stored, start + 1, 4).getInt();
    Plain plain;
    if (flag == 0) {
      plain = new Plain(stored, start + 5, plainLength - 5);
    } else {
      if (length < 0) {
        return null;
      }
      byte[] data = new byte[length];
      long size = Zstd.decompressByteArray(data, 0, length, stored, start + 5, plainLength - 5);
      if (Zstd.isError(size) || size != length) {
        return null;
      }
      plain = new Plain(data, 0, length);
    }
    if (plain.length() != length || !hasId(id, plain)) {
      return null;
    }
    return plain;
  }

  private boolean hasId(String id, Plain plain) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(idKey);
      mac.update(plain.array(), plain.offset(), plain.length());
      return MessageDigest.isEqual(mac.doFinal(), HexFormat.of().parseHex(id));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
