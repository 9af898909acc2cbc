package dev.vigil.activities.backup;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.crypto.EncryptionKey;
import dev.vigil.activities.crypto.Sealer;
import dev.vigil.activities.source.SourceDrivers;
import dev.vigil.workflows.backup.UploadRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Writes the per-backup manifest: what was backed up (tables and row counts and the source
 * cluster's roles, or every file with size and SHA-256), how it was sealed (compression, key id,
 * stored SHA-256), where it is stored, and the tool versions. The file list is streamed from the
 * spool, so a million files do not become a million objects in memory. Its HMAC (a sub-key of the
 * backup key) is stored as object metadata so a tampered manifest is refused on restore.
 */
public final class ManifestWriter {
  /** The manifest format identifier. */
  public static final String FORMAT = "vigil-backup-manifest/1";

  /** The Vigil version written into manifests. */
  public static final String VIGIL_VERSION = "0.1.0";

  private final EncryptionKey key;
  private final SourceDrivers drivers;

  public ManifestWriter(EncryptionKey key) {
    this(key, SourceDrivers.STANDARD);
  }

  public ManifestWriter(EncryptionKey key, SourceDrivers drivers) {
    this.key = key;
    this.drivers = drivers;
  }

  /** Writes the manifest to {@code target} and returns its hex HMAC-SHA256. */
  public String write(
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

  /** The hex HMAC-SHA256 of a manifest file under the backup key's manifest sub-key. */
  public String mac(Path manifest) throws IOException {
    try (InputStream in = Files.newInputStream(manifest)) {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.subKey("vigil manifest mac"), "HmacSHA256"));
      byte[] buffer = new byte[1 << 16];
      int read;
      while ((read = in.read(buffer)) >= 0) {
        mac.update(buffer, 0, read);
      }
      return HexFormat.of().formatHex(mac.doFinal());
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
