package dev.vigil.activities.cas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.crypto.EncryptionKey;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Sealing a chunk in 16 KiB slices writes exactly the bytes one AES-GCM call over the whole chunk
 * writes (repositories sealed before stay readable and the format is unchanged). Its speed is a
 * benchmark matter (bench/speed-bench.sh), not a timed unit test.
 */
class ChunkCryptoSealTest {
  private static final byte[] MATERIAL = new byte[32];

  static {
    new Random(3).nextBytes(MATERIAL);
  }

  private final ChunkCrypto crypto = new ChunkCrypto(EncryptionKey.of(MATERIAL, "k1"));

  @Test
  void aChunkSealedInSlicesIsTheSameBytesAsOneCallOverItAndOpens() throws Exception {
    byte[] data = new byte[(1 << 20) - 3];
    new Random(4).nextBytes(data);
    String id = crypto.id(data, data.length);

    for (int slice : new int[] {ChunkCrypto.SEAL_SLICE, 256, 1 << 20}) {
      byte[] sealed = crypto.seal(id, data, data.length, false, slice);

      assertThat(sealed).isEqualTo(oneCall(id, Arrays.copyOf(sealed, 12), data));
      assertThat(crypto.open(id, sealed)).isEqualTo(data);
    }
  }

  @Test
  void aFilesFirstChunkSealedFromItsDecisionsZstdFormOpensAsSealingItCompressedDoes() {
    byte[] text = "conversation 7: hello, how can I help?\n".repeat(2_000).getBytes();
    byte[] random = new byte[40_000];
    new Random(6).nextBytes(random);
    String id = crypto.id(text, text.length);

    byte[] compressed = ChunkCrypto.compressedIfSmaller(text, text.length);
    byte[] sealed = crypto.sealCompressed(id, text.length, compressed);

    assertThat(ChunkCrypto.compressedIfSmaller(random, random.length)).isNull();
    assertThat(crypto.open(id, sealed)).isEqualTo(text);
    assertThat(sealed).hasSameSizeAs(crypto.seal(id, text, text.length, true));
    assertThat(sealed.length).isLessThan(text.length / 10);
  }

  /** What sealing wrote before slices: one AES-GCM call over flag, length and data. */
  private static byte[] oneCall(String id, byte[] nonce, byte[] data) throws Exception {
    EncryptionKey key = EncryptionKey.of(MATERIAL, "k1");
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(
        Cipher.ENCRYPT_MODE,
        new SecretKeySpec(key.subKey("vigil chunk encryption v1"), "AES"),
        new GCMParameterSpec(128, nonce));
    cipher.updateAAD(HexFormat.of().parseHex(id));
    ByteBuffer plain = ByteBuffer.allocate(5 + data.length);
    plain.put((byte) 0).putInt(data.length).put(data);
    byte[] body = cipher.doFinal(plain.array());
    byte[] sealed = Arrays.copyOf(nonce, nonce.length + body.length);
    System.arraycopy(body, 0, sealed, nonce.length, body.length);
    return sealed;
  }
}
