package dev.vigil.activities.retention;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.activities.backup.ManifestMac;
import dev.vigil.activities.backup.ManifestWriter;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredObject;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;

/**
 * The file list of a directory backup, read from its manifest after the manifest's MAC is checked,
 * so a tampered manifest cannot vouch for files it does not hold.
 */
public final class ManifestFiles {
  /** One file of a backup: its size and SHA-256. */
  public record Entry(long size, String sha256) {}

  private ManifestFiles() {}

  /** path → size and SHA-256 of every regular file the manifest at {@code key} lists. */
  public static Map<String, Entry> load(ObjectStore store, String key, ManifestWriter manifests) {
    StoredObject head =
        store
            .head(key)
            .orElseThrow(
                () ->
                    new VigilException(
                        ErrorType.MANIFEST_INVALID,
                        "manifest s3://" + store.bucket() + "/" + key + " is missing"));
    Path file = null;
    try {
      file = Files.createTempFile("vigil-manifest-", ".json");
      try (InputStream in = store.open(key)) {
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      }
      manifests.check(
          file,
          head.metadata().get(ManifestMac.HMAC_METADATA),
          head.metadata().get(ManifestMac.KEY_ID_METADATA),
          null,
          "manifest s3://" + store.bucket() + "/" + key);
      return files(file);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.REPOSITORY_UNAVAILABLE,
          "cannot read manifest s3://" + store.bucket() + "/" + key + ": " + e.getMessage(),
          e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // A temp file; the OS cleans it.
        }
      }
    }
  }

  /** Streams the {@code files} array, keeping only path, size and digest of regular files. */
  static Map<String, Entry> files(Path manifest) throws IOException {
    Map<String, Entry> files = new HashMap<>();
    try (JsonParser parser = Json.MAPPER.createParser(manifest.toFile())) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return files;
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        if (field.equals("files") && value == JsonToken.START_ARRAY) {
          while (parser.nextToken() == JsonToken.START_OBJECT) {
            JsonNode entry = Json.MAPPER.readTree(parser);
            if ("file".equals(entry.path("type").asText())) {
              files.put(
                  entry.path("path").asText(),
                  new Entry(entry.path("size").asLong(), entry.path("sha256").asText()));
            }
          }
        } else {
          parser.skipChildren();
        }
      }
    }
    return files;
  }
}
