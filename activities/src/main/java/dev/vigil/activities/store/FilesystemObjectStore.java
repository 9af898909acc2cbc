package dev.vigil.activities.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.FilesystemRepositoryConfig;
import dev.vigil.workflows.backup.UploadProgress;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * An {@link ObjectStore} over a directory (a local disk or an NFS mount): an object is the file
 * {@code <path>/<key>}, its storage class, tags, metadata, size and SHA-256 are in {@code
 * <key>.vigil-meta} beside it.
 *
 * <p>No object is ever visible half-written: an upload writes {@code <key>.vigil-partial-<id>} in
 * the object's own directory, fsyncs it after every part (before the part is reported, so a
 * heartbeat never names bytes a crash can lose), writes the sidecar the same way, renames both into
 * place and fsyncs the directory. An interrupted upload resumes from its heartbeat: the partial
 * file is cut back to the parts the heartbeat names and the rest is appended. Leftover partial
 * files are this kind's open uploads. Keys that would leave the directory ({@code ..}, absolute,
 * through a symlink) or use the reserved suffixes are refused.
 *
 * <p>The kind keeps one storage class ({@value FilesystemRepositoryConfig#STORAGE_CLASS}): a copy
 * to another class is refused, and nothing ever needs a cold restore.
 */
public final class FilesystemObjectStore implements ObjectStore {

  /** Bytes per part: how much an interrupted upload can lose, and how often it is fsynced. */
  static final long DEFAULT_PART_SIZE = 16L * 1024 * 1024;

  static final String META_SUFFIX = ".vigil-meta";
  static final String PARTIAL_MARK = ".vigil-partial-";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BUFFER = 1024 * 1024;

  private final FilesystemRepositoryConfig config;
  private final Path root;
  private final long partSize;
  private final long progressEveryNanos;

  /** A store over {@code config.path()}. */
  public FilesystemObjectStore(FilesystemRepositoryConfig config) {
    this(config, DEFAULT_PART_SIZE, PartProgress.EVERY);
  }

  /** A store with a given part size and progress interval (tests). */
  FilesystemObjectStore(FilesystemRepositoryConfig config, long partSize, Duration progressEvery) {
    this.config = config;
    this.root = config.path().toAbsolutePath().normalize();
    this.partSize = partSize;
    this.progressEveryNanos = progressEvery.toNanos();
  }

  /** The sidecar of an object: what S3 keeps in headers, and the checksum of the bytes. */
  record Meta(
      String storageClass,
      Map<String, String> tags,
      Map<String, String> metadata,
      long size,
      String sha256) {}

  @Override
  public String bucket() {
    return root.toString();
  }

  @Override
  public String repository() {
    return config.name();
  }

  @Override
  public String key(String relativeKey) {
    return KeyPrefix.trim(relativeKey);
  }

  @Override
  public void checkBucket() {
    String problem = config.localProblem();
    if (problem != null) {
      throw new VigilException(
          ErrorType.REPOSITORY_NOT_FOUND,
          "repository '"
              + config.name()
              + "': path "
              + problem
              + "; or fix its path in vigil.yaml");
    }
  }

  @Override
  public Optional<StoredObject> head(String key) {
    Path file = pathOf(key);
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        return Optional.empty();
      }
      requireInside(file, key);
      long size = Files.size(file);
      Meta meta = readMeta(file);
      return Optional.of(
          new StoredObject(
              key,
              size,
              meta == null ? FilesystemRepositoryConfig.STORAGE_CLASS : meta.storageClass(),
              meta == null || meta.metadata() == null ? Map.of() : Map.copyOf(meta.metadata()),
              meta == null ? null : meta.sha256()));
    } catch (IOException e) {
      throw failure("read attributes of", key, e);
    }
  }

  @Override
  public UploadOutcome uploadFile(
      Path file,
      String key,
      ObjectAttributes attributes,
      UploadProgress resumeFrom,
      Consumer<UploadProgress> onPart,
      Consumer<UploadProgress> whilePart) {
    Path target = pathOf(key);
    long size = SpoolFiles.sizeOf(file);
    try {
      Path directory = createParents(target, key);
      String uploadId = null;
      long parts = partSize;
      long resumedBytes = 0;
      if (resumeFrom != null
          && resumeFrom.uploadId() != null
          && key.equals(resumeFrom.objectKey())
          && resumeFrom.partSize() > 0
          && validUploadId(resumeFrom.uploadId())) {
        Path partial = partialOf(target, resumeFrom.uploadId());
        long durable = (long) resumeFrom.partsDone() * resumeFrom.partSize();
        // The heartbeat named only fsynced parts; bytes after them may be half a part.
        if (Files.isRegularFile(partial, LinkOption.NOFOLLOW_LINKS)
            && Files.size(partial) >= durable
            && durable <= size) {
          uploadId = resumeFrom.uploadId();
          parts = resumeFrom.partSize();
          resumedBytes = durable;
        }
      }
      if (uploadId == null) {
        abortOpenUploads(key);
        uploadId = UUID.randomUUID().toString();
      }
      Path partial = partialOf(target, uploadId);
      int partCount = (int) Math.max(1, (size + parts - 1) / parts);
      int resumedParts = (int) (resumedBytes / parts);
      MessageDigest sha256 = sha256();
      try (FileChannel out =
          FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        out.truncate(resumedBytes);
        hashPrefix(partial, resumedBytes, sha256);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
          for (int partNumber = resumedParts + 1; partNumber <= partCount; partNumber++) {
            long offset = (partNumber - 1) * parts;
            long length = Math.min(parts, size - offset);
            SpoolFiles.requireUnchanged(file, size, key);
            String id = uploadId;
            long partStart = offset;
            long partsDone = partNumber - 1;
            long partLength = parts;
            PartProgress within =
                new PartProgress(
                    progressEveryNanos,
                    sent ->
                        whilePart.accept(
                            new UploadProgress(
                                key, id, partLength, (int) partsDone, partStart + sent, size)));
            copyRegion(in, out, offset, length, sha256, within);
            // Durable before it is reported: a heartbeat names only bytes a crash keeps.
            out.force(true);
            within.rethrowDeferred();
            onPart.accept(
                new UploadProgress(key, uploadId, parts, partNumber, offset + length, size));
          }
        }
      }
      SpoolFiles.requireUnchanged(file, size, key);
      if (Files.size(partial) != size) {
        throw new VigilException(
            ErrorType.UPLOAD_MISMATCH,
            where("upload", key)
                + ": the written file has "
                + Files.size(partial)
                + " bytes, the spool file "
                + size);
      }
      publish(
          partial,
          target,
          directory,
          uploadId,
          meta(attributes, size, HexFormat.of().formatHex(sha256.digest())));
      return new UploadOutcome(partCount, resumedParts, size);
    } catch (IOException e) {
      throw failure("upload", key, e);
    }
  }

  @Override
  public void putFile(Path file, String key, ObjectAttributes attributes) {
    uploadFile(file, key, attributes, null, progress -> {}, progress -> {});
  }

  @Override
  public InputStream open(String key) {
    return open(key, 0);
  }

  @Override
  public InputStream open(String key, long offset) {
    return read(key, offset).stream();
  }

  @Override
  public ObjectBody read(String key, long offset) {
    Path file = pathOf(key);
    try {
      requireInside(file, key);
      FileChannel channel =
          FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
      long size = channel.size();
      channel.position(Math.min(Math.max(offset, 0), size));
      return new ObjectBody(Channels.newInputStream(channel), size);
    } catch (NoSuchFileException e) {
      throw missing("download", key);
    } catch (IOException e) {
      throw failure("download", key, e);
    }
  }

  @Override
  public Map<String, String> tags(String key) {
    Path file = pathOf(key);
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw missing("read tags of", key);
    }
    try {
      Meta meta = readMeta(file);
      return meta == null || meta.tags() == null ? Map.of() : Map.copyOf(meta.tags());
    } catch (IOException e) {
      throw failure("read tags of", key, e);
    }
  }

  @Override
  public void delete(String key) {
    Path file = pathOf(key);
    try {
      requireInside(file, key);
      Files.deleteIfExists(file);
      Files.deleteIfExists(metaOf(file));
    } catch (IOException e) {
      throw failure("delete", key, e);
    }
  }

  @Override
  public List<String> list(String keyPrefix) {
    return listObjects(keyPrefix).stream().map(ListedObject::key).toList();
  }

  @Override
  public List<ListedObject> listObjects(String keyPrefix) {
    List<ListedObject> objects = new ArrayList<>();
    for (Path file : filesUnder(keyPrefix)) {
      String key = keyOf(file);
      if (!key.startsWith(keyPrefix) || reserved(file.getFileName().toString())) {
        continue;
      }
      try {
        objects.add(
            new ListedObject(key, Files.size(file), Files.getLastModifiedTime(file).toInstant()));
      } catch (NoSuchFileException deletedMeanwhile) {
        // Gone between the walk and the stat: not listed, as S3 would not list it either.
      } catch (IOException e) {
        throw failure("list", keyPrefix, e);
      }
    }
    objects.sort((a, b) -> a.key().compareTo(b.key()));
    return objects;
  }

  @Override
  public List<OpenUpload> openUploads(String keyPrefix) {
    Map<String, OpenUpload> uploads = new LinkedHashMap<>();
    for (Path file : filesUnder(keyPrefix)) {
      String name = file.getFileName().toString();
      int mark = name.lastIndexOf(PARTIAL_MARK);
      if (mark < 0) {
        continue;
      }
      String uploadId = name.substring(mark + PARTIAL_MARK.length());
      String objectName = name.substring(0, mark);
      if (objectName.endsWith(META_SUFFIX)) {
        objectName = objectName.substring(0, objectName.length() - META_SUFFIX.length());
      }
      String key = keyOf(file.resolveSibling(objectName));
      if (key.startsWith(keyPrefix) && validUploadId(uploadId)) {
        uploads.putIfAbsent(key + "\n" + uploadId, new OpenUpload(key, uploadId));
      }
    }
    return List.copyOf(uploads.values());
  }

  @Override
  public void abortUpload(OpenUpload upload) {
    if (!validUploadId(upload.uploadId())) {
      throw invalidKey(
          upload.key(), "upload id \"" + upload.uploadId() + "\" is not one of its own");
    }
    Path target = pathOf(upload.key());
    try {
      requireInside(target, upload.key());
      Files.deleteIfExists(partialOf(target, upload.uploadId()));
      Files.deleteIfExists(partialOf(metaOf(target), upload.uploadId()));
    } catch (IOException e) {
      throw failure("abort the incomplete upload of", upload.key(), e);
    }
  }

  @Override
  public CopyOutcome copy(String sourceKey, String targetKey, String storageClass) {
    if (!FilesystemRepositoryConfig.STORAGE_CLASS.equals(storageClass)) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "repository '"
              + config.name()
              + "' (filesystem) keeps every object in "
              + FilesystemRepositoryConfig.STORAGE_CLASS
              + "; it cannot move '"
              + sourceKey
              + "' to "
              + storageClass
              + "; archive to an s3 repository instead");
    }
    Path source = pathOf(sourceKey);
    Path target = pathOf(targetKey);
    try {
      requireInside(source, sourceKey);
      Meta meta = readMeta(source);
      if (source.equals(target)) {
        return new CopyOutcome(
            targetKey,
            Files.size(source),
            storageClass,
            base64(meta == null ? null : meta.sha256()));
      }
      Path directory = createParents(target, targetKey);
      String uploadId = UUID.randomUUID().toString();
      Path partial = partialOf(target, uploadId);
      MessageDigest sha256 = sha256();
      long size;
      try (FileChannel in =
              FileChannel.open(source, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
          FileChannel out =
              FileChannel.open(
                  partial,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE,
                  StandardOpenOption.TRUNCATE_EXISTING)) {
        size = in.size();
        copyRegion(in, out, 0, size, sha256, null);
        out.force(true);
      }
      String hex = HexFormat.of().formatHex(sha256.digest());
      Meta copied =
          new Meta(
              storageClass,
              meta == null ? Map.of() : meta.tags(),
              meta == null ? Map.of() : meta.metadata(),
              size,
              hex);
      publish(partial, target, directory, uploadId, copied);
      return new CopyOutcome(targetKey, size, storageClass, base64(hex));
    } catch (NoSuchFileException e) {
      throw missing("copy", sourceKey);
    } catch (IOException e) {
      throw failure("copy '" + sourceKey + "' to", targetKey, e);
    }
  }

  /** Nothing in a filesystem is ever archived: there is nothing to restore. */
  @Override
  public ColdRestoreState requestRestore(String key, int days) {
    return restoreState(key);
  }

  @Override
  public ColdRestoreState restoreState(String key) {
    if (head(key).isEmpty()) {
      throw missing("read attributes of", key);
    }
    return ColdRestoreState.READABLE;
  }

  /**
   * Puts a complete, fsynced partial file in place: the sidecar first (so a visible object always
   * has its checksum and tags), then the object, each by an atomic rename, then the directory
   * fsynced so the renames survive a power loss.
   */
  private void publish(Path partial, Path target, Path directory, String uploadId, Meta meta)
      throws IOException {
    Path metaPartial = partialOf(metaOf(target), uploadId);
    try (FileChannel out =
        FileChannel.open(
            metaPartial,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      out.write(ByteBuffer.wrap(JSON.writeValueAsBytes(meta)));
      out.force(true);
    }
    Files.move(
        metaPartial,
        metaOf(target),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    Files.move(
        partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
      dir.force(true);
    }
  }

  /**
   * Copies {@code length} bytes from {@code offset} of {@code in} to the same place of {@code out},
   * hashing them into {@code sha256} unless it is null.
   */
  static void copyRegion(
      FileChannel in,
      FileChannel out,
      long offset,
      long length,
      MessageDigest sha256,
      PartProgress progress)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(BUFFER, Math.max(length, 1)));
    long done = 0;
    while (done < length) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), length - done));
      int read = in.read(buffer, offset + done);
      if (read < 0) {
        throw new IOException("the spool file ended early; it changed while it was written");
      }
      buffer.flip();
      if (sha256 != null) {
        sha256.update(buffer.duplicate());
      }
      while (buffer.hasRemaining()) {
        out.write(buffer, offset + done + buffer.position());
      }
      done += read;
      if (progress != null) {
        progress.sent(done);
      }
    }
  }

  private static void hashPrefix(Path partial, long length, MessageDigest sha256)
      throws IOException {
    if (length == 0) {
      return;
    }
    try (InputStream in = Files.newInputStream(partial)) {
      byte[] buffer = new byte[BUFFER];
      long left = length;
      while (left > 0) {
        int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (read < 0) {
          throw new IOException("the partial upload " + partial + " is shorter than its heartbeat");
        }
        sha256.update(buffer, 0, read);
        left -= read;
      }
    }
  }

  /**
   * The partial file of a new upload {@code uploadId} of {@code key}, its directories made and what
   * earlier attempts left of the key removed (for {@link FilesystemGrowingUpload}).
   */
  Path startPartial(String key, String uploadId) throws IOException {
    Path target = pathOf(key);
    createParents(target, key);
    abortOpenUploads(key);
    return partialOf(target, uploadId);
  }

  /**
   * Copies the parts of a sealed file into the upload's partial file while the dump still writes it
   * (see {@link FilesystemGrowingUpload}); the upload step resumes that upload.
   */
  @Override
  public Optional<GrowingUpload> uploadWhileWriting(
      Path file,
      String key,
      Supplier<ObjectAttributes> attributes,
      Consumer<UploadProgress> onStarted,
      WrittenChecksums.Recorder written) {
    return Optional.of(new FilesystemGrowingUpload(this, file, key, onStarted, partSize));
  }

  /** Removes what earlier attempts left of {@code key}: a fresh upload starts clean. */
  private void abortOpenUploads(String key) {
    for (OpenUpload open : openUploads(key)) {
      if (open.key().equals(key)) {
        abortUpload(open);
      }
    }
  }

  /**
   * The file of a key, refusing every key that is not plainly a path below the repository:
   * absolute, empty or {@code .}/{@code ..} segments, backslashes, NUL, and the suffixes the store
   * reserves for its own files.
   */
  private Path pathOf(String key) {
    if (key == null || key.isEmpty()) {
      throw invalidKey(String.valueOf(key), "the key is empty");
    }
    if (key.startsWith("/") || key.contains("\\") || key.indexOf('\0') >= 0) {
      throw invalidKey(key, "keys are relative paths with '/' separators");
    }
    for (String segment : key.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw invalidKey(key, "'.', '..' and empty segments would leave the repository");
      }
      if (reserved(segment)) {
        throw invalidKey(
            key,
            "names ending in " + META_SUFFIX + " or containing " + PARTIAL_MARK + " are reserved");
      }
    }
    Path file = root.resolve(key).normalize();
    if (!file.startsWith(root) || file.equals(root)) {
      throw invalidKey(key, "it resolves outside " + root);
    }
    return file;
  }

  /** Fails if a symlinked directory on the way takes {@code file} out of the repository. */
  private void requireInside(Path file, String key) throws IOException {
    Path parent = file.getParent();
    if (!Files.exists(parent)) {
      throw new NoSuchFileException(file.toString());
    }
    if (!parent.toRealPath().startsWith(root.toRealPath())) {
      throw invalidKey(key, "a symbolic link on its way leads outside " + root);
    }
  }

  private Path createParents(Path target, String key) throws IOException {
    Path directory = target.getParent();
    checkBucket();
    Files.createDirectories(directory);
    requireInside(target, key);
    return directory;
  }

  /** The regular files below the directory a prefix starts in (none if it does not exist). */
  private List<Path> filesUnder(String keyPrefix) {
    String prefix = keyPrefix == null ? "" : keyPrefix;
    String directoryPart = prefix.contains("/") ? prefix.substring(0, prefix.lastIndexOf('/')) : "";
    Path start = directoryPart.isEmpty() ? root : pathOf(directoryPart);
    if (!Files.isDirectory(start, LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.isDirectory(root)) {
        checkBucket();
      }
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(start)) {
      return walk.filter(path -> Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)).toList();
    } catch (IOException | java.io.UncheckedIOException e) {
      throw failure(
          "list",
          prefix,
          e instanceof IOException io ? io : ((java.io.UncheckedIOException) e).getCause());
    }
  }

  private String keyOf(Path file) {
    return root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
  }

  private static boolean reserved(String name) {
    return name.endsWith(META_SUFFIX) || name.contains(PARTIAL_MARK);
  }

  private static boolean validUploadId(String uploadId) {
    try {
      return UUID.fromString(uploadId).toString().equals(uploadId);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static Path metaOf(Path file) {
    return file.resolveSibling(file.getFileName() + META_SUFFIX);
  }

  private static Path partialOf(Path file, String uploadId) {
    return file.resolveSibling(file.getFileName() + PARTIAL_MARK + uploadId);
  }

  private static Meta readMeta(Path file) throws IOException {
    try {
      return JSON.readValue(Files.readAllBytes(metaOf(file)), Meta.class);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static Meta meta(ObjectAttributes attributes, long size, String sha256) {
    String storageClass =
        attributes == null || attributes.storageClass() == null
            ? FilesystemRepositoryConfig.STORAGE_CLASS
            : attributes.storageClass();
    return new Meta(
        storageClass,
        attributes == null || attributes.tags() == null ? Map.of() : attributes.tags(),
        attributes == null || attributes.metadata() == null ? Map.of() : attributes.metadata(),
        size,
        sha256);
  }

  private static String base64(String hex) {
    return hex == null ? null : Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private String where(String action, String key) {
    return "repository '" + config.name() + "': cannot " + action + " '" + key + "' in " + root;
  }

  private VigilException missing(String action, String key) {
    return new VigilException(
        ErrorType.REPOSITORY_NOT_FOUND, where(action, key) + ": no such object");
  }

  private VigilException invalidKey(String key, String why) {
    return new VigilException(
        ErrorType.OBJECT_KEY_INVALID,
        "repository '" + config.name() + "': refused key '" + key + "': " + why);
  }

  /**
   * An I/O failure as a Vigil failure: a path that is gone or not writable needs a person (mount
   * it, fix its mode); anything else (a full disk, an NFS server that went away) may recover.
   */
  private VigilException failure(String action, String key, IOException e) {
    if (e instanceof AccessDeniedException) {
      return new VigilException(
          ErrorType.REPOSITORY_NOT_FOUND,
          where(action, key)
              + ": permission denied on "
              + e.getMessage()
              + "; fix its owner or mode",
          e);
    }
    if (e instanceof NoSuchFileException && !Files.isDirectory(root)) {
      return new VigilException(
          ErrorType.REPOSITORY_NOT_FOUND,
          where(action, key) + ": " + root + " does not exist; create or mount it",
          e);
    }
    String reason =
        e instanceof FileSystemException fs && fs.getReason() != null
            ? fs.getReason()
            : String.valueOf(e.getMessage());
    return new VigilException(
        ErrorType.REPOSITORY_UNAVAILABLE,
        where(action, key) + ": " + reason.replaceAll("\\s+", " ") + "; it may recover",
        e);
  }
}
