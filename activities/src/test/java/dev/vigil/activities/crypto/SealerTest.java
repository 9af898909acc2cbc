package dev.vigil.activities.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SealerTest {
  private static final String CONTEXT = "vigil/v1 backup=appdb-1 source=appdb";

  @TempDir Path dir;

  private final Sealer sealer = new Sealer(key(1, null));

  @Test
  void compressibleDataIsCompressedEncryptedAndRoundTrips() throws Exception {
    Path raw = dir.resolve("raw");
    Files.writeString(raw, "row 1, a conversation about orders\n".repeat(200_000));

    String compression = sealer.chooseCompression(raw, "auto");
    SealOutcome outcome =
        sealer.seal(raw, dir.resolve("sealed"), compression, CONTEXT, bytes -> {});

    assertThat(compression).isEqualTo("zstd");
    assertThat(outcome.rawBytes()).isEqualTo(Files.size(raw));
    assertThat(outcome.storedBytes())
        .isEqualTo(Files.size(dir.resolve("sealed")))
        .isLessThan(Files.size(raw) / 20);
    assertThat(outcome.sha256()).isEqualTo(sha256(dir.resolve("sealed")));
    assertThat(unseal(sealer, dir.resolve("sealed"), CONTEXT)).isEqualTo(Files.readAllBytes(raw));
    assertThat(Files.readString(dir.resolve("sealed"), StandardCharsets.ISO_8859_1))
        .doesNotContain("conversation");
  }

  @Test
  void incompressibleDataSuchAsModelWeightsSkipsCompression() throws Exception {
    Path raw = dir.resolve("weights");
    byte[] weights = new byte[3 << 20];
    new Random(1).nextBytes(weights);
    Files.write(raw, weights);

    String compression = sealer.chooseCompression(raw, "auto");
    SealOutcome outcome =
        sealer.seal(raw, dir.resolve("sealed"), compression, CONTEXT, bytes -> {});

    assertThat(compression).isEqualTo("none");
    assertThat(outcome.storedBytes()).isBetween((long) weights.length, weights.length + 64_000L);
    assertThat(unseal(sealer, dir.resolve("sealed"), CONTEXT)).isEqualTo(weights);
  }

  @Test
  void aFlippedBitIsDetected() throws Exception {
    Path sealed = sealSample();
    try (RandomAccessFile file = new RandomAccessFile(sealed.toFile(), "rw")) {
      file.seek(file.length() / 2);
      int value = file.read();
      file.seek(file.length() / 2);
      file.write(value ^ 0x10);
    }

    assertThatThrownBy(() -> unseal(sealer, sealed, CONTEXT))
        .isInstanceOf(VigilException.class)
        .hasMessageContaining("failed authentication")
        .extracting(e -> ((VigilException) e).type())
        .isEqualTo(ErrorType.DUMP_INVALID);
  }

  @Test
  void aTruncatedFileIsDetected() throws Exception {
    Path sealed = sealSample();
    try (RandomAccessFile file = new RandomAccessFile(sealed.toFile(), "rw")) {
      file.setLength(file.length() - 100);
    }

    assertThatThrownBy(() -> unseal(sealer, sealed, CONTEXT))
        .isInstanceOf(VigilException.class)
        .extracting(e -> ((VigilException) e).type())
        .isEqualTo(ErrorType.DUMP_INVALID);
  }

  @Test
  void anotherKeyIsRefusedByItsIdBeforeDecrypting() throws Exception {
    Path sealed = sealSample();
    Sealer other = new Sealer(key(2, null));

    assertThatThrownBy(() -> unseal(other, sealed, CONTEXT))
        .isInstanceOf(VigilException.class)
        .hasMessageContaining("sealed with key '" + sealer.keyId() + "'")
        .extracting(e -> ((VigilException) e).type())
        .isEqualTo(ErrorType.ENCRYPTION_KEY_INVALID);
  }

  @Test
  void anotherKeyUnderTheSameIdFailsAuthentication() throws Exception {
    Sealer labelled = new Sealer(key(1, "prod-2026"));
    Path sealed = dir.resolve("sealed");
    Path raw = dir.resolve("raw");
    Files.writeString(raw, "secret rows");
    labelled.seal(raw, sealed, "zstd", CONTEXT, bytes -> {});

    assertThatThrownBy(() -> unseal(new Sealer(key(3, "prod-2026")), sealed, CONTEXT))
        .isInstanceOf(VigilException.class)
        .hasMessageContaining("failed authentication");
  }

  @Test
  void aSealedFileMovedUnderAnotherBackupFailsAuthentication() throws Exception {
    Path sealed = sealSample();

    assertThatThrownBy(() -> unseal(sealer, sealed, "vigil/v1 backup=appdb-2 source=appdb"))
        .isInstanceOf(VigilException.class)
        .hasMessageContaining("failed authentication");
  }

  @Test
  void afterARotationNewFilesUseTheCurrentKeyAndOlderFilesOpenWithTheirOwn() throws Exception {
    EncryptionKey k1 = key(1, "k1");
    EncryptionKey k2 = key(2, "k2");
    Path raw = dir.resolve("raw");
    Files.writeString(raw, "rows before and after the rotation\n".repeat(1000));
    Path before = dir.resolve("before");
    new Sealer(Keyring.of(k1)).seal(raw, before, "zstd", CONTEXT, bytes -> {});
    Sealer rotated = new Sealer(Keyring.of(k2, k1));
    Path after = dir.resolve("after");

    rotated.seal(raw, after, "zstd", CONTEXT, bytes -> {});

    assertThat(rotated.keyId()).isEqualTo("k2");
    assertThat(headerKeyId(after)).isEqualTo("k2");
    assertThat(headerKeyId(before)).isEqualTo("k1");
    assertThat(unseal(rotated, before, CONTEXT)).isEqualTo(Files.readAllBytes(raw));
    assertThat(unseal(rotated, after, CONTEXT)).isEqualTo(Files.readAllBytes(raw));
  }

  @Test
  void aFileSealedWithARemovedKeyIsRefusedNamingTheKeyIdBeforeAnythingIsWritten() throws Exception {
    Path raw = dir.resolve("raw");
    Files.writeString(raw, "secret rows");
    Path sealed = dir.resolve("sealed");
    new Sealer(key(1, "k1")).seal(raw, sealed, "zstd", CONTEXT, bytes -> {});
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    assertThatThrownBy(
            () -> {
              try (InputStream in = Files.newInputStream(sealed)) {
                new Sealer(Keyring.of(key(2, "k2"), key(3, "k3"))).unseal(in, out, CONTEXT);
              }
            })
        .isInstanceOf(VigilException.class)
        .hasMessage(
            "the data was sealed with key 'k1', which is not configured (configured keys: k2,"
                + " k3); add it under encryption.keys to read it")
        .extracting(e -> ((VigilException) e).type())
        .isEqualTo(ErrorType.ENCRYPTION_KEY_INVALID);
    assertThat(out.size()).isZero();
  }

  /**
   * {@code sealed/vgl1-single-key.vgl} was written by the sealer before key rotation existed, with
   * a single key configured without an id (key material: 32 bytes of 7), so its header carries the
   * key's fingerprint. It must open with that key alone, and with the same key configured under a
   * name beside a newer current key.
   */
  @Test
  void aFileSealedBeforeRotationExistedStillOpensAlsoWithItsKeyUnderANewName() throws Exception {
    byte[] material = new byte[32];
    java.util.Arrays.fill(material, (byte) 7);
    String expected = "a row sealed by Vigil before key rotation\n".repeat(1000);
    String context = "vigil/v1 backup=appdb-20261201T000000Z source=appdb";
    Path fixture = dir.resolve("old.vgl");
    try (InputStream in = getClass().getResourceAsStream("/sealed/vgl1-single-key.vgl")) {
      Files.copy(in, fixture);
    }

    assertThat(headerKeyId(fixture)).isEqualTo("k-45b960d96cee");
    Sealer single = new Sealer(EncryptionKey.of(material, null));
    assertThat(new String(unseal(single, fixture, context), StandardCharsets.UTF_8))
        .isEqualTo(expected);
    Sealer renamed = new Sealer(Keyring.of(key(2, "k2"), EncryptionKey.of(material, "legacy")));
    assertThat(new String(unseal(renamed, fixture, context), StandardCharsets.UTF_8))
        .isEqualTo(expected);
  }

  @Test
  void keyIdIsAFingerprintThatDoesNotRevealTheKey() {
    EncryptionKey key = key(1, null);

    assertThat(key.keyId()).matches("k-[0-9a-f]{12}");
    assertThat(key.toString()).isEqualTo("EncryptionKey[" + key.keyId() + "]");
    assertThat(key(1, null).keyId()).isEqualTo(key.keyId());
    assertThat(key(2, null).keyId()).isNotEqualTo(key.keyId());
  }

  @Test
  void wrongLengthKeyIsRefused() {
    assertThatThrownBy(() -> EncryptionKey.of(new byte[16], null))
        .isInstanceOf(VigilException.class)
        .hasMessageContaining("is 16 bytes; Vigil needs 32");
  }

  private Path sealSample() throws IOException {
    Path raw = dir.resolve("raw");
    Files.writeString(raw, "a table row\n".repeat(500_000));
    Path sealed = dir.resolve("sealed");
    sealer.seal(raw, sealed, "zstd", CONTEXT, bytes -> {});
    return sealed;
  }

  private static byte[] unseal(Sealer sealer, Path sealed, String context) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = Files.newInputStream(sealed)) {
      sealer.unseal(in, out, context);
    }
    return out.toByteArray();
  }

  /** The key id in a sealed file's header: after "VGL1", version and compression bytes. */
  private static String headerKeyId(Path sealed) throws IOException {
    byte[] bytes = Files.readAllBytes(sealed);
    return new String(bytes, 7, bytes[6], StandardCharsets.UTF_8);
  }

  private static EncryptionKey key(int seed, String id) {
    byte[] material = new byte[32];
    new Random(seed).nextBytes(material);
    return EncryptionKey.of(material, id);
  }

  private static String sha256(Path file) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(file);
        OutputStream sink = OutputStream.nullOutputStream()) {
      byte[] buffer = new byte[8192];
      int read;
      while ((read = in.read(buffer)) >= 0) {
        digest.update(buffer, 0, read);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
