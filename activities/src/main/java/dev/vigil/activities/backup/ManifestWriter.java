package dev.vigil.activities.backup;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.crypto.EncryptionKey;
import dev.vigil.activities.crypto.Keyring;
import dev.vigil.activities.crypto.Sealer;
import dev.vigil.activities.source.SourceDrivers;
import dev.vigil.workflows.backup.UploadRequest;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Writes the per-backup manifest: what was backed up (tables and row counts and the source
 * cluster's roles, or every file with size and SHA-256), how it was sealed (compression, key id,
 * stored SHA-256), where it is stored, and the tool versions. The file list is streamed from the
 * spool, so a million files do not become a million objects in memory. Its HMAC (a sub-key of the
 * backup key) is stored as object metadata, with the key's id, so a tampered manifest is refused on
 * restore and a manifest written before a key rotation is checked with the key it was written with.
 */
public final class ManifestWriter {
  /** The manifest format identifier. */
  public static final String FORMAT = "vigil-backup-manifest/1";

  /** The Vigil version written into manifests. */
  public static final String VIGIL_VERSION = "0.1.0";

  private final Keyring keys;
  private final SourceDrivers drivers;

  public ManifestWriter(Keyring keys) {
    this(keys, SourceDrivers.STANDARD);
  }

  public ManifestWriter(Keyring keys, SourceDrivers drivers) {
    this.keys = keys;
    this.drivers = drivers;
  }

  /** Writes the manifest to {@code target} and returns its HMAC under the current key. */
  public ManifestMac write(
      Path target,
      UploadRequest request,
      DumpMeta meta,
      Path listFile,
      String bucket,
      String objectKey,
      String storageClass)
      throws IOException {
    var dump = request.dump();
    var sealed = request.sealed();
    var source = request.source();
    try (JsonGenerator json = Json.MAPPER.createGenerator(Files.newOutputStream(target))) {
      json.useDefaultPrettyPrinter();
      json.writeStartObject();
      json.writeStringField("format", FORMAT);
      json.writeStringField("backupId", dump.backupId());
      json.writeStringField("setId", request.setId());
      json.writeObjectFieldStart("source");
      json.writeStringField("name", source.name());
      json.writeStringField("type", source.type());
      json.writeStringField("kind", source.kind());
      json.writeStringField("repository", source.repository());
      json.writeEndObject();
      json.writeStringField(
          "consistentAt", Instant.ofEpochMilli(dump.consistentAtMillis()).toString());
      json.writeStringField("writtenAt", Instant.now().toString());
      json.writeObjectFieldStart("tools");
      json.writeStringField("vigil", VIGIL_VERSION);
      json.writeStringField("dump", dump.toolVersion());
      json.writeStringField("server", dump.serverVersion());
      json.writeEndObject();
      json.writeObjectFieldStart("dump");
      json.writeStringField("format", dump.format());
      json.writeNumberField("rawBytes", dump.rawBytes());
      json.writeNumberField("entries", dump.entries());
      json.writeNumberField("totalRows", dump.totalRows());
      json.writeEndObject();
      json.writeObjectFieldStart("sealed");
      json.writeNumberField("storedBytes", sealed.storedBytes());
      json.writeStringField("sha256", sealed.sha256());
      json.writeStringField("compression", sealed.compression());
      json.writeStringField("encryption", Sealer.ENCRYPTION);
      json.writeStringField("keyId", sealed.keyId());
      json.writeEndObject();
      json.writeObjectFieldStart("object");
      json.writeStringField("bucket", bucket);
      json.writeStringField("key", objectKey);
      json.writeStringField("storageClass", storageClass);
      json.writeEndObject();
      json.writeArrayFieldStart("warnings");
      for (String warning : request.check().warnings()) {
        json.writeString(warning);
      }
      json.writeEndArray();
      drivers
          .forFormat(meta.format())
          .orElseThrow(() -> new IllegalStateException("no driver writes " + meta.format()))
          .writeManifest(json, meta, listFile);
      json.writeEndObject();
    }
    return mac(target);
  }

  /** The HMAC of a manifest file under the current key, to store beside it. */
  public ManifestMac mac(Path manifest) throws IOException {
    EncryptionKey key = keys.current();
    return new ManifestMac(key.keyId(), mac(manifest, key));
  }

  /**
   * Checks a manifest file against the HMAC stored beside it. The key is the one {@code keyId}
   * names ({@code fallbackKeyId}, then the current key, for a manifest stored without one).
   * ENCRYPTION_KEY_INVALID naming {@code what} and the key id if that key is not configured;
   * MANIFEST_INVALID naming {@code what} and the key if the HMAC is missing or does not match.
   */
  public void check(
      Path manifest, String storedMac, String keyId, String fallbackKeyId, String what)
      throws IOException {
    if (storedMac == null || storedMac.isBlank()) {
      throw new VigilException(
          ErrorType.MANIFEST_INVALID,
          what + " carries no " + ManifestMac.HMAC_METADATA + "; it cannot be trusted");
    }
    String id = keyId != null ? keyId : fallbackKeyId;
    EncryptionKey key = id != null ? keys.require(id, what) : keys.current();
    String actual = mac(manifest, key);
    if (!MessageDigest.isEqual(
        actual.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
        storedMac
            .toLowerCase(java.util.Locale.ROOT)
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
      throw new VigilException(
          ErrorType.MANIFEST_INVALID,
          what
              + " fails its HMAC check under key '"
              + (id != null ? id : key.keyId())
              + "' (altered after the backup, or forged); do not trust it");
    }
  }

  private static String mac(Path manifest, EncryptionKey key) throws IOException {
    try (InputStream in = Files.newInputStream(manifest)) {
      Mac mac = newMac(key);
      byte[] buffer = new byte[1 << 16];
      int read;
      while ((read = in.read(buffer)) >= 0) {
        mac.update(buffer, 0, read);
      }
      return HexFormat.of().formatHex(mac.doFinal());
    }
  }

  /**
   * A fresh HMAC-SHA256 under the manifest sub-key of the key {@code keyId} names (the current key
   * when null), for a reader that checks a manifest while it streams it (no file).
   * ENCRYPTION_KEY_INVALID naming {@code what} when that key is not configured.
   */
  public Mac newMac(String keyId, String what) {
    return newMac(keyId != null ? keys.require(keyId, what) : keys.current());
  }

  private static Mac newMac(EncryptionKey key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.subKey("vigil manifest mac"), "HmacSHA256"));
      return mac;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
