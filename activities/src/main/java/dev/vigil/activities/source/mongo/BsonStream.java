package dev.vigil.activities.source.mongo;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import org.bson.BsonDocument;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;

/**
 * Reads the documents of a {@code .bson} file one at a time (flat memory): each is a little-endian
 * int32 length followed by that many bytes less four, ending with a zero byte. A document that is
 * cut short or malformed fails with {@link Corrupt}, naming its position.
 */
final class BsonStream {
  /** MongoDB's largest document (16 MiB) plus room for the server's own overhead. */
  private static final int MAX_DOCUMENT = 16 * 1024 * 1024 + 16 * 1024;

  private static final BsonDocumentCodec CODEC = new BsonDocumentCodec();

  private final InputStream in;
  private long documents;
  private long offset;

  BsonStream(InputStream in) {
    this.in = in;
  }

  /** The next document, or null at the end of the file. */
  RawBsonDocument next(boolean check) throws IOException {
    byte[] header = new byte[4];
    int first = in.readNBytes(header, 0, 4);
    if (first == 0) {
      return null;
    }
    if (first < 4) {
      throw corrupt("its length is cut short (" + first + " of 4 bytes)");
    }
    int length =
        (header[0] & 0xff)
            | (header[1] & 0xff) << 8
            | (header[2] & 0xff) << 16
            | (header[3] & 0xff) << 24;
    if (length < 5 || length > MAX_DOCUMENT) {
      throw corrupt("it declares an impossible length of " + length + " bytes");
    }
    byte[] bytes = new byte[length];
    System.arraycopy(header, 0, bytes, 0, 4);
    int read = in.readNBytes(bytes, 4, length - 4);
    if (read < length - 4) {
      throw corrupt("it is truncated (" + (read + 4) + " of " + length + " bytes)");
    }
    if (bytes[length - 1] != 0) {
      throw corrupt("it does not end with a zero byte");
    }
    RawBsonDocument document = new RawBsonDocument(bytes);
    if (check) {
      try {
        BsonDocument decoded = document.decode(CODEC);
        decoded.size();
      } catch (RuntimeException e) {
        throw corrupt("it is not valid BSON (" + e.getMessage() + ")");
      }
    }
    documents++;
    offset += length;
    return document;
  }

  long documents() {
    return documents;
  }

  private Corrupt corrupt(String what) {
    return new Corrupt("document " + (documents + 1) + " at byte " + offset + ": " + what);
  }

  /** A {@code .bson} file that is not a sequence of whole BSON documents. */
  static final class Corrupt extends EOFException {
    Corrupt(String message) {
      super(message);
    }
  }
}
