package dev.vigil.activities.restore;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.activities.backup.ManifestMac;
import dev.vigil.activities.backup.ManifestWriter;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.source.FileEntry;
import dev.vigil.activities.source.PgRoles;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.SelectedBackup;
import dev.vigil.workflows.restore.VerifiedBackup;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A backup's {@code manifest.json} as a restore reads it: checked against its HMAC and against the
 * catalog before anything in it is trusted, then streamed (a directory's file list can be long, so
 * it is never held whole).
 */
public final class BackupManifest {
  /** The manifest's HMAC in the object's user metadata. */
  public static final String HMAC_METADATA = ManifestMac.HMAC_METADATA;

  private final Path file;

  private BackupManifest(Path file) {
    this.file = file;
  }

  /**
   * Checks the downloaded manifest {@code file}: its HMAC must equal {@code storedMac} under the
   * key {@code storedKeyId} names (the backup's key for a manifest stored without one), and it must
   * describe {@code backup} (id, source, stored SHA-256, object key). MANIFEST_INVALID otherwise,
   * naming the manifest's key; ENCRYPTION_KEY_INVALID naming the backup and the key id when that
   * key is not configured.
   */
  public static BackupManifest verify(
      Path file, String storedMac, String storedKeyId, ManifestWriter macs, SelectedBackup backup) {
    String where = "manifest '" + backup.manifestKey() + "' of backup '" + backup.backupId() + "'";
    try {
      macs.check(file, storedMac, storedKeyId, backup.keyId(), where);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "cannot read the downloaded manifest " + file + ": " + e, e);
    }
    Header header = header(file, where);
    List<String> mismatches = new ArrayList<>();
    compare(mismatches, "backupId", header.backupId, backup.backupId());
    compare(mismatches, "source", header.source, backup.source().name());
    compare(mismatches, "sealed.sha256", header.sha256, backup.sha256());
    compare(mismatches, "object.key", header.objectKey, backup.objectKey());
    if (!mismatches.isEmpty()) {
      throw invalid(
          where
              + " describes another backup ("
              + String.join(", ", mismatches)
              + "); it was swapped or copied, do not trust it");
    }
    return new BackupManifest(file);
  }

  /** A manifest the verify step on this host already checked; it lives in the restore's spool. */
  public static BackupManifest trusted(Path file) {
    return new BackupManifest(file);
  }

  /** What the manifest says the backup holds. */
  public VerifiedBackup summary() {
    Header header = header(file, "manifest " + file);
    return new VerifiedBackup(header.format, header.entries, header.totalRows);
  }

  /** The row counts recorded at backup time (database backups). */
  public List<TableCount> tables() {
    List<TableCount> tables = new ArrayList<>();
    try (JsonParser parser = Json.MAPPER.createParser(file.toFile())) {
      if (seekField(parser, "tables") && parser.nextToken() == JsonToken.START_ARRAY) {
        JsonNode array = parser.readValueAsTree();
        if (array != null && array.isArray()) {
          for (JsonNode table : array) {
            tables.add(
                new TableCount(
                    table.path("schema").asText(),
                    table.path("table").asText(),
                    table.path("rows").asLong()));
          }
        }
      }
    } catch (IOException e) {
      throw invalid("manifest " + file + " is unreadable: " + e.getMessage());
    }
    return tables;
  }

  /** The source cluster's roles recorded with a database backup; none in older backups. */
  public PgRoles roles() {
    try (JsonParser parser = Json.MAPPER.createParser(file.toFile())) {
      if (seekField(parser, "roles") && parser.nextToken() == JsonToken.START_OBJECT) {
        return Json.MAPPER.readValue(parser, PgRoles.class);
      }
      return PgRoles.NONE;
    } catch (IOException e) {
      throw invalid("manifest " + file + " has unreadable roles: " + e.getMessage());
    }
  }

  /** The recorded entries of a directory backup, in archive order; close when done. */
  public FileList files() {
    try {
      JsonParser parser = Json.MAPPER.createParser(file.toFile());
      if (!seekField(parser, "files") || parser.nextToken() != JsonToken.START_ARRAY) {
        parser.close();
        throw invalid("manifest " + file + " has no file list");
      }
      return new FileList(parser);
    } catch (IOException e) {
      throw invalid("manifest " + file + " is unreadable: " + e.getMessage());
    }
  }

  /** One table's row count at backup time. */
  public record TableCount(String schema, String table, long rows) {
    /** {@code schema.table}. */
    public String name() {
      return schema + "." + table;
    }
  }

  /** Streams the file list one entry at a time. */
  public static final class FileList implements Iterator<FileEntry>, Closeable {
    private final JsonParser parser;
    private FileEntry next;
    private boolean done;

    private FileList(JsonParser parser) {
      this.parser = parser;
    }

    @Override
    public boolean hasNext() {
      if (next == null && !done) {
        try {
          if (parser.nextToken() == JsonToken.START_OBJECT) {
            next = parser.readValueAs(FileEntry.class);
          } else {
            done = true;
          }
        } catch (IOException e) {
          throw new UncheckedIOException("manifest file list is unreadable", e);
        }
      }
      return next != null;
    }

    @Override
    public FileEntry next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      FileEntry entry = next;
      next = null;
      return entry;
    }

    @Override
    public void close() throws IOException {
      parser.close();
    }
  }

  private static void compare(List<String> mismatches, String field, String found, String want) {
    if (found == null || !found.equals(want)) {
      mismatches.add(field + " " + found + " where the catalog has " + want);
    }
  }

  /** Moves the parser to the value of top-level {@code field}; false if there is none. */
  private static boolean seekField(JsonParser parser, String field) throws IOException {
    if (parser.nextToken() != JsonToken.START_OBJECT) {
      return false;
    }
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      if (name.equals(field)) {
        return true;
      }
      parser.nextToken();
      parser.skipChildren();
    }
    return false;
  }

  /**
   * The backup a manifest says it describes, parsed from {@code json} as it streams (a check reads
   * manifests from the repository without writing them to disk). MANIFEST_INVALID, naming {@code
   * where}, if it is not a JSON object. {@code json} is left open, positioned after the object.
   */
  public static Described describes(InputStream json, String where) {
    try (JsonParser parser = Json.MAPPER.createParser(json)) {
      parser.configure(JsonParser.Feature.AUTO_CLOSE_SOURCE, false);
      Header header = header(parser, where);
      return new Described(header.backupId, header.source, header.sha256, header.objectKey);
    } catch (IOException e) {
      throw invalid(where + " is not valid JSON: " + e.getMessage());
    }
  }

  /** The fields that tie a manifest to its backup: id, source, sealed SHA-256, data object key. */
  public record Described(String backupId, String source, String sha256, String objectKey) {}

  private static Header header(Path file, String where) {
    try (JsonParser parser = Json.MAPPER.createParser(file.toFile())) {
      return header(parser, where);
    } catch (IOException e) {
      throw invalid(where + " is not valid JSON: " + e.getMessage());
    }
  }

  private static Header header(JsonParser parser, String where) throws IOException {
    Header header = new Header();
    if (parser.nextToken() != JsonToken.START_OBJECT) {
      throw invalid(where + " is not a JSON object");
    }
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      JsonToken value = parser.nextToken();
      if (name.equals("files")
          || name.equals("tables")
          || name.equals("warnings")
          || name.equals("roles")) {
        parser.skipChildren();
        continue;
      }
      if (value == JsonToken.START_OBJECT) {
        JsonNode node = parser.readValueAsTree();
        switch (name) {
          case "source" -> header.source = text(node, "name");
          case "sealed" -> header.sha256 = text(node, "sha256");
          case "object" -> header.objectKey = text(node, "key");
          case "dump" -> {
            header.format = text(node, "format");
            header.entries = node.path("entries").asLong();
            header.totalRows = node.path("totalRows").asLong();
          }
          default -> {
            // Fields a restore does not need (tools, versions).
          }
        }
      } else if (value == JsonToken.START_ARRAY) {
        parser.skipChildren();
      } else if (name.equals("backupId")) {
        header.backupId = parser.getValueAsString();
      }
    }
    return header;
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  private static VigilException invalid(String message) {
    return new VigilException(ErrorType.MANIFEST_INVALID, message);
  }

  private static final class Header {
    String backupId;
    String source;
    String sha256;
    String objectKey;
    String format;
    long entries;
    long totalRows;
  }
}
