package dev.vigil.activities.store;

import dev.vigil.workflows.backup.UploadProgress;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * A bucket (and key prefix) backups are stored in. Thread-safe. Failures are {@code
 * VigilException}s: REPOSITORY_NOT_FOUND for a missing bucket or denied access,
 * REPOSITORY_UNAVAILABLE for what a retry can fix. Each kind of repository ({@link Repositories})
 * is one implementation; what a kind cannot do (cold restore, storage classes it lacks) it answers
 * per method, as documented there.
 */
public interface ObjectStore extends AutoCloseable {

  /** The bucket name, for references and messages. */
  String bucket();

  /** The repository's name in vigil.yaml, for messages. */
  String repository();

  /** The full key of {@code relativeKey} under the repository's prefix. */
  String key(String relativeKey);

  /** Fails with REPOSITORY_NOT_FOUND if the bucket does not exist or cannot be reached. */
  void checkBucket();

  /** HEAD of a full key, or empty if there is no such object. */
  Optional<StoredObject> head(String key);

  /**
   * Uploads a file as a multipart upload. Resumes from {@code resumeFrom} (an earlier attempt's
   * heartbeat) when its upload id is still open, sending only the parts not yet uploaded, and
   * reports progress after every part so the caller can heartbeat it.
   */
  default UploadOutcome uploadFile(
      Path file,
      String key,
      ObjectAttributes attributes,
      UploadProgress resumeFrom,
      Consumer<UploadProgress> onPart) {
    return uploadFile(file, key, attributes, resumeFrom, onPart, progress -> {});
  }

  /**
   * As {@link #uploadFile(Path, String, ObjectAttributes, UploadProgress, Consumer)}, and also
   * reports, a few times a second while a part is sent, the bytes of the file sent so far to {@code
   * whilePart} ({@code partsDone} still counts only whole parts): a part takes seconds on a slow
   * link, and a progress display should not stand still for that long. If {@code whilePart} throws
   * (a cancelled activity's heartbeat), the part is finished and the exception thrown after it.
   */
  UploadOutcome uploadFile(
      Path file,
      String key,
      ObjectAttributes attributes,
      UploadProgress resumeFrom,
      Consumer<UploadProgress> onPart,
      Consumer<UploadProgress> whilePart);

  /**
   * Uploads a file whose checksums were taken while it was written ({@code written}, with its
   * SHA-256 also in {@code attributes}). A store that verifies uploads by checksum sends these
   * instead of reading the file a second time to compute them, and still refuses bytes that do not
   * match them. This default: {@link #uploadFile(Path, String, ObjectAttributes, UploadProgress,
   * Consumer)} without resume, which reads the file again where it needs checksums.
   */
  default UploadOutcome uploadFile(
      Path file, String key, ObjectAttributes attributes, WrittenChecksums written) {
    return uploadFile(file, key, attributes, null, progress -> {});
  }

  /**
   * As {@link #uploadFile(Path, String, ObjectAttributes, UploadProgress, Consumer, Consumer)},
   * with the checksums taken while the file was written ({@code written}, null if none were): a
   * store that verifies uploads by checksum compares the parts it already holds with these and
   * sends the rest with them, so the file is not read a second time; bytes that changed on disk
   * since they were written are refused by the store. This default ignores {@code written}.
   */
  default UploadOutcome uploadFile(
      Path file,
      String key,
      ObjectAttributes attributes,
      UploadProgress resumeFrom,
      Consumer<UploadProgress> onPart,
      Consumer<UploadProgress> whilePart,
      WrittenChecksums written) {
    return uploadFile(file, key, attributes, resumeFrom, onPart, whilePart);
  }

  /**
   * Starts uploading {@code file} while it is still written (see {@link GrowingUpload}), to {@code
   * key} with the attributes {@code attributes} gives once the first part is ready (a sealed file's
   * compression is known only after its header). {@code onStarted} hears the upload id and part
   * size as soon as the store made the upload (and before any part is sent), so a crash leaves a
   * record of what to abort. {@code written}, when not null, takes the CRCs of the bytes as the
   * caller writes them (updated before it reports them written): the parts are sent with those, so
   * none is read back to checksum it. Empty when this store, or its repository's configuration,
   * uploads only finished files; this default: empty.
   */
  default Optional<GrowingUpload> uploadWhileWriting(
      Path file,
      String key,
      Supplier<ObjectAttributes> attributes,
      Consumer<UploadProgress> onStarted,
      WrittenChecksums.Recorder written) {
    return Optional.empty();
  }

  /**
   * The CRC64NVME the store computed over the whole object (S3's FULL_OBJECT checksum type), with
   * its size, or empty when the store keeps no such checksum for it (an upload that carried none, a
   * store without full-object checksums). This default: none.
   */
  default Optional<StoredChecksum> fullObjectChecksum(String key) {
    return Optional.empty();
  }

  /** Uploads a small file (a manifest) in one request. */
  void putFile(Path file, String key, ObjectAttributes attributes);

  /**
   * Writes an object of {@code size} bytes read from {@code content}, typically another
   * repository's object (a copy: GET → PUT). {@code content} may be opened more than once for the
   * same range (a signed or retried request reads its body again). {@code progress} hears the bytes
   * written so far, for heartbeats. This default stages the content in a temporary file and uploads
   * that; stores that can stream ranges straight through override it.
   */
  default void putFrom(
      RangeSource content,
      long size,
      String key,
      ObjectAttributes attributes,
      LongConsumer progress) {
    Path staged = null;
    try {
      staged = Files.createTempFile("vigil-copy-", ".part");
      try (InputStream in = content.open(0)) {
        Files.copy(in, staged, StandardCopyOption.REPLACE_EXISTING);
      }
      uploadFile(staged, key, attributes, null, part -> progress.accept(part.bytesDone()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stage the copy of " + key + ": " + e.getMessage(), e);
    } finally {
      if (staged != null) {
        try {
          Files.deleteIfExists(staged);
        } catch (IOException e) {
          // Only disk space in the temporary directory; nothing refers to it.
        }
      }
    }
  }

  /** Streams an object's content; the caller closes the stream. */
  InputStream open(String key);

  /**
   * Streams an object's content from byte {@code offset} on (a ranged GET), so an interrupted
   * download resumes where it stopped; the caller closes the stream.
   */
  InputStream open(String key, long offset);

  /**
   * A ranged GET from byte {@code offset} on, with the object's total size as the store reports it
   * in that response ({@code Content-Range}), which can differ from what a HEAD said when the
   * stored bytes were damaged behind the store's metadata. An offset at or past the object's end
   * gives an empty body and the size the store names (or {@code offset} when it names none).
   */
  ObjectBody read(String key, long offset);

  /**
   * As {@link #read(String, long)}, for the {@code length} bytes from {@code offset} only (one
   * range of a parallel download). This default reads from {@code offset} on and stops after {@code
   * length} bytes; stores that can ask for the range itself override it.
   */
  default ObjectBody read(String key, long offset, long length) {
    ObjectBody body = read(key, offset);
    return new ObjectBody(new BoundedStream(body.stream(), length), body.objectSize());
  }

  /**
   * How many parts of one upload, or ranges of one download, this store moves at once: its
   * repository's {@code upload-concurrency}, or 1 for stores that move one at a time.
   */
  default int concurrency() {
    return 1;
  }

  /** The object's tags. */
  Map<String, String> tags(String key);

  /** Deletes an object; absent objects are fine. */
  void delete(String key);

  /** The full keys of every object under {@code keyPrefix}. */
  List<String> list(String keyPrefix);

  /**
   * Every object under {@code keyPrefix} with its size and last-modified time, in key order: what
   * the listing itself returns, no request per object.
   */
  List<ListedObject> listObjects(String keyPrefix);

  /** The multipart uploads under {@code keyPrefix} that were started and never completed. */
  List<OpenUpload> openUploads(String keyPrefix);

  /** Aborts an incomplete multipart upload, freeing its parts; an upload already gone is fine. */
  void abortUpload(OpenUpload upload);

  /**
   * Copies an object inside the bucket with a new storage class ({@code targetKey} may equal {@code
   * sourceKey}: S3's in-place class change). Tags and metadata go with it. Objects over 5 GB are
   * copied part by part (UploadPartCopy).
   */
  CopyOutcome copy(String sourceKey, String targetKey, String storageClass);

  /**
   * Asks the store to make an object in an archive class (GLACIER, DEEP_ARCHIVE) readable for
   * {@code days}. Returns the state the store reports; stores without a restore API say so.
   */
  ColdRestoreState requestRestore(String key, int days);

  /** Whether the object can be read now: not in an archive class, or restored. */
  ColdRestoreState restoreState(String key);

  /** Releases the store's client, if it owns one; the store is not used afterwards. */
  @Override
  default void close() {}
}
