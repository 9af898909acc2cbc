package dev.vigil.activities.source.mongo;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.RawBsonDocument;

/**
 * Counts the documents of a {@code mongodump --archive} file without mongorestore, so a tool-path
 * backup records exact counts per collection. The format (mongo-tools' {@code archive} package):
 * the magic number {@code 0x8199e26d} (little-endian int32), a header document, one metadata
 * document per collection ({@code db}, {@code collection}, {@code metadata}, {@code size}) and a
 * terminator ({@code 0xFFFFFFFF}); then blocks of a namespace header ({@code db}, {@code
 * collection}, {@code EOF}, {@code CRC}), that namespace's documents and a terminator, interleaved
 * between collections. The oplog of {@code --oplog} is the namespace with an empty {@code db}.
 */
final class ToolArchive {
  static final int MAGIC = 0x8199e26d;
  private static final int TERMINATOR = -1;

  private ToolArchive() {}

  /** Documents per {@code db.collection}; the oplog (if any) under {@code "oplog"}. */
  static Map<String, Long> count(Path archive) {
    Map<String, Long> counts = new LinkedHashMap<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(archive), 1 << 20)) {
      if (readInt(in, archive, "its magic number") != MAGIC) {
        throw invalid(archive, "does not start with the mongodump archive magic number");
      }
      readDocument(in, archive, "its header");
      Integer length;
      while ((length = peekLength(in, archive)) != TERMINATOR) {
        BsonDocument metadata = readDocument(in, archive, length, "a collection's metadata");
        counts.put(namespace(metadata), 0L);
      }
      while ((length = peekLengthOrEnd(in, archive)) != null) {
        if (length == TERMINATOR) {
          continue; // the archive's closing terminator
        }
        BsonDocument header = readDocument(in, archive, length, "a namespace header");
        String namespace = namespace(header);
        long documents = 0;
        Integer next;
        while ((next = peekLength(in, archive)) != TERMINATOR) {
          readDocument(
              in, archive, next, "collection " + namespace + ": document " + (documents + 1));
          documents++;
        }
        counts.merge(namespace, documents, Long::sum);
      }
    } catch (IOException e) {
      throw invalid(archive, "is unreadable: " + e.getMessage());
    }
    return counts;
  }

  private static String namespace(BsonDocument header) {
    String database = header.getString("db", new BsonString("")).getValue();
    String collection = header.getString("collection", new BsonString("")).getValue();
    return database.isEmpty() ? collection : database + "." + collection;
  }

  private static Integer peekLengthOrEnd(InputStream in, Path archive) throws IOException {
    byte[] bytes = in.readNBytes(4);
    if (bytes.length == 0) {
      return null;
    }
    if (bytes.length < 4) {
      throw invalid(archive, "ends inside a length");
    }
    return little(bytes);
  }

  private static int peekLength(InputStream in, Path archive) throws IOException {
    Integer length = peekLengthOrEnd(in, archive);
    if (length == null) {
      throw invalid(archive, "ends before its terminator (truncated)");
    }
    return length;
  }

  private static int readInt(InputStream in, Path archive, String what) throws IOException {
    byte[] bytes = in.readNBytes(4);
    if (bytes.length < 4) {
      throw invalid(archive, "is too short to hold " + what);
    }
    return little(bytes);
  }

  private static BsonDocument readDocument(InputStream in, Path archive, String what)
      throws IOException {
    return readDocument(in, archive, readInt(in, archive, what), what);
  }

  /** Reads the rest of a document whose length (already read) is {@code length}. */
  private static BsonDocument readDocument(InputStream in, Path archive, int length, String what)
      throws IOException {
    if (length < 5 || length > 16 * 1024 * 1024 + 16 * 1024) {
      throw invalid(archive, what + " declares an impossible length of " + length + " bytes");
    }
    byte[] bytes = new byte[length];
    bytes[0] = (byte) length;
    bytes[1] = (byte) (length >> 8);
    bytes[2] = (byte) (length >> 16);
    bytes[3] = (byte) (length >> 24);
    int read = in.readNBytes(bytes, 4, length - 4);
    if (read < length - 4 || bytes[length - 1] != 0) {
      throw invalid(archive, what + " is truncated (" + (read + 4) + " of " + length + " bytes)");
    }
    try {
      return new RawBsonDocument(bytes).toBsonDocument();
    } catch (RuntimeException e) {
      throw invalid(archive, what + " is not valid BSON");
    }
  }

  private static int little(byte[] bytes) {
    return (bytes[0] & 0xff)
        | (bytes[1] & 0xff) << 8
        | (bytes[2] & 0xff) << 16
        | (bytes[3] & 0xff) << 24;
  }

  private static VigilException invalid(Path archive, String what) {
    return new VigilException(ErrorType.DUMP_INVALID, "mongodump archive " + archive + " " + what);
  }
}
