package dev.vigil.activities.store;

import dev.vigil.activities.common.Crc64Nvme;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.S3RepositoryConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.workflows.backup.UploadProgress;
import dev.vigil.workflows.common.ErrorType;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.model.TaggingDirective;
import software.amazon.awssdk.services.s3.model.Tier;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * An {@link ObjectStore} over one S3 (or S3-compatible) bucket and key prefix.
 *
 * <p>Uploads stream each part from its region of the file, so memory use does not grow with the
 * file. Every SDK failure becomes a {@link VigilException} with a one-line message naming the
 * repository, bucket and key.
 */
public final class S3ObjectStore implements ObjectStore {

  /** Part size when the repository does not set one. */
  public static final long DEFAULT_PART_SIZE = 16L * 1024 * 1024;

  /** S3's smallest part (all but the last). */
  public static final long MIN_PART_SIZE = 5L * 1024 * 1024;

  /** At most this many parts, safely below S3's limit of 10,000. */
  static final long MAX_PARTS = 9000;

  private static final String CONTENT_TYPE = "application/octet-stream";
  private static final String DEFAULT_STORAGE_CLASS = "STANDARD";

  /** CopyObject's limit; larger objects are copied part by part. */
  static final long MAX_SINGLE_COPY = 5L * 1024 * 1024 * 1024;

  /** Classes whose objects must be restored before they can be read. */
  private static final Set<String> ARCHIVE_CLASSES = Set.of("GLACIER", "DEEP_ARCHIVE");

  private final S3RepositoryConfig config;
  private final S3Client s3;
  private final String prefix;
  private final long progressEveryNanos;
  private final S3Client owned;

  /**
   * @param config the repository
   * @param s3 a client for the repository's endpoint, shared by all stores of the process
   */
  public S3ObjectStore(S3RepositoryConfig config, S3Client s3) {
    this(config, s3, PartProgress.EVERY);
  }

  /** A store that reports progress within a part at most every {@code progressEvery}. */
  S3ObjectStore(S3RepositoryConfig config, S3Client s3, Duration progressEvery) {
    this(config, s3, progressEvery, null);
  }

  private S3ObjectStore(
      S3RepositoryConfig config, S3Client s3, Duration progressEvery, S3Client owned) {
    this.owned = owned;
    this.config = Objects.requireNonNull(config, "config");
    this.s3 = Objects.requireNonNull(s3, "s3");
    this.prefix = KeyPrefix.of(config.prefix());
    this.progressEveryNanos = progressEvery.toNanos();
  }

  /**
   * A store with its own client, closed by {@link #close()}.
   *
   * @param secrets as for {@link S3Clients#create(S3RepositoryConfig, Function)}
   */
  public static S3ObjectStore open(S3RepositoryConfig config, Function<SecretRef, String> secrets) {
    S3Client client = S3Clients.create(config, secrets);
    return new S3ObjectStore(config, client, PartProgress.EVERY, client);
  }

  @Override
  public void close() {
    if (owned != null) {
      owned.close();
    }
  }

  @Override
  public String bucket() {
    return config.bucket();
  }

  @Override
  public String repository() {
    return config.name();
  }

  @Override
  public String key(String relativeKey) {
    return KeyPrefix.join(prefix, relativeKey);
  }

  @Override
  public void checkBucket() {
    try {
      s3.headBucket(request -> request.bucket(config.bucket()));
    } catch (SdkException e) {
      throw failure("check bucket", null, e);
    }
  }

  @Override
  public Optional<StoredObject> head(String key) {
    HeadObjectResponse response;
    try {
      response = s3.headObject(request -> request.bucket(config.bucket()).key(key));
    } catch (S3Exception e) {
      // A HEAD response has no body, so a missing key and a missing bucket look alike; both mean
      // "no such object" here, and checkBucket tells them apart.
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw failure("read attributes of", key, e);
    } catch (SdkException e) {
      throw failure("read attributes of", key, e);
    }
    return Optional.of(
        new StoredObject(
            key,
            response.contentLength(),
            // S3 omits the header for STANDARD.
            response.storageClassAsString() == null
                ? DEFAULT_STORAGE_CLASS
                : response.storageClassAsString(),
            Map.copyOf(response.metadata()),
            response.eTag()));
  }

  @Override
  public UploadOutcome uploadFile(
      Path file,
      String key,
      ObjectAttributes attributes,
      UploadProgress resumeFrom,
      Consumer<UploadProgress> onPart,
      Consumer<UploadProgress> whilePart) {
    return upload(file, key, attributes, null, resumeFrom, onPart, whilePart);
  }

  @Override
  public UploadOutcome uploadFile(
      Path file,
      String key,
      ObjectAttributes attributes,
      UploadProgress resumeFrom,
      Consumer<UploadProgress> onPart,
      Consumer<UploadProgress> whilePart,
      WrittenChecksums written) {
    return upload(file, key, attributes, written, resumeFrom, onPart, whilePart);
  }

  /** Sends the CRCs taken while the file was written: the file is read once, to send it. */
  @Override
  public UploadOutcome uploadFile(
      Path file, String key, ObjectAttributes attributes, WrittenChecksums written) {
    return upload(file, key, attributes, written, null, progress -> {}, progress -> {});
  }

  private UploadOutcome upload(
      Path file,
      String key,
      ObjectAttributes attributes,
      WrittenChecksums written,
      UploadProgress resumeFrom,
      Consumer<UploadProgress> onPart,
      Consumer<UploadProgress> whilePart) {
    long size = SpoolFiles.sizeOf(file);
    if (size == 0) {
      // S3 has no empty multipart upload worth the three requests; one PUT is the same object.
      putFile(file, key, attributes);
      onPart.accept(new UploadProgress(key, null, partSizeFor(0), 1, 0, 0));
      return new UploadOutcome(1, 0, 0);
    }

    boolean checksums = config.verifiesByChecksum();
    String uploadId = null;
    long partSize = 0;
    Map<Integer, CompletedPart> uploaded = Map.of();
    boolean resuming =
        resumeFrom != null && resumeFrom.uploadId() != null && key.equals(resumeFrom.objectKey());
    if (resuming && resumeFrom.partSize() >= MIN_PART_SIZE) {
      Optional<Map<Integer, CompletedPart>> listed =
          listUploadedParts(key, resumeFrom.uploadId(), resumeFrom.partSize(), size, checksums);
      if (listed.isPresent()) {
        uploadId = resumeFrom.uploadId();
        partSize = resumeFrom.partSize();
        uploaded = listed.get();
      }
    }
    if (uploadId == null && !resuming && size <= singlePutMax()) {
      return putWhole(file, key, attributes, written, checksums, onPart);
    }
    if (uploadId == null) {
      abortOpenUploads(key);
      partSize = partSizeFor(size);
      uploadId = createUpload(key, attributes, checksums);
    }

    int partCount = (int) ((size + partSize - 1) / partSize);
    PartChecksums sums;
    if (!checksums) {
      sums = null;
    } else if (written != null && written.size() == size && written.fits(partSize)) {
      sums = PartChecksums.written(file, written, partSize, key);
    } else {
      sums =
          PartChecksums.start(
              file, size, partSize, attributes == null ? null : attributes.sha256(), key);
    }
    try {
      PartUpload upload =
          new PartUpload(file, key, uploadId, partSize, size, uploaded, sums, onPart, whilePart);
      List<CompletedPart> parts = upload.run();
      String fullChecksum = sums == null ? null : Crc64Nvme.base64(sums.whole());
      String completedUploadId = uploadId;
      s3.completeMultipartUpload(
          request -> {
            request
                .bucket(config.bucket())
                .key(key)
                .uploadId(completedUploadId)
                .multipartUpload(completed -> completed.parts(parts));
            if (fullChecksum != null) {
              // The store combines the parts' CRCs and refuses the upload if they disagree.
              request.checksumCRC64NVME(fullChecksum).checksumType(ChecksumType.FULL_OBJECT);
            }
          });
      return new UploadOutcome(partCount, upload.resumedParts(), size, fullChecksum);
    } catch (SdkException e) {
      // A spool file that vanished while a part was read looks like a client error to the SDK.
      VigilException failure =
          SpoolFiles.spoolChanged(file, size)
              ? SpoolFiles.spoolChangedFailure(file, key)
              : checksumRejected(e) ? checksumFailure(key, e) : failure("upload", key, e);
      if (!failure.type().retryable()) {
        // No retry can finish this upload; do not leave its parts to be billed.
        abortQuietly(key, uploadId);
      }
      throw failure;
    } catch (VigilException e) {
      if (!e.type().retryable()) {
        abortQuietly(key, uploadId);
      }
      throw e;
    } finally {
      if (sums != null) {
        sums.close();
      }
    }
  }

  /**
   * The largest file sent in one PUT rather than a multipart upload: two parts. A multipart upload
   * of a small file costs three requests where a PUT costs one, and the store reads the object once
   * more to join its parts and check their CRC64NVME (S3Mock: twice the CPU of a PUT, on the cores
   * the worker shares with it in the embedded stack). A pack of a chunked backup (a little over 16
   * MiB) goes in one PUT; a file larger than this is sent in parts, in parallel and resumable.
   */
  long singlePutMax() {
    return 2 * partSizeFor(0);
  }

  /**
   * Sends a file in one PUT, with its CRC64NVME when the repository verifies uploads by checksum:
   * the store checks the body against it and keeps it as the object's full-object checksum.
   */
  private UploadOutcome putWhole(
      Path file,
      String key,
      ObjectAttributes attributes,
      WrittenChecksums written,
      boolean checksums,
      Consumer<UploadProgress> onPart) {
    long size = SpoolFiles.sizeOf(file);
    WrittenChecksums taken = written != null && written.size() == size ? written : null;
    String crc = null;
    if (checksums) {
      if (taken != null) {
        crc = Crc64Nvme.base64(taken.whole());
      } else {
        try (PartChecksums sums =
            PartChecksums.start(
                file, size, size, attributes == null ? null : attributes.sha256(), key)) {
          crc = Crc64Nvme.base64(sums.whole());
        }
      }
    }
    try {
      sendObject(key, attributes, region(file, 0, size), size, crc);
    } catch (SdkException e) {
      if (SpoolFiles.spoolChanged(file, size)) {
        throw SpoolFiles.spoolChangedFailure(file, key);
      }
      if (checksumRejected(e)) {
        if (taken != null) {
          // Damaged on disk since it was sealed (no retry helps), or on the way (a retry does).
          SpoolFiles.requireWrittenCrc(file, 0, size, taken.whole(), key);
        }
        throw checksumFailure(key, e);
      }
      throw failure("upload", key, e);
    }
    onPart.accept(new UploadProgress(key, null, size, 1, size, size));
    return new UploadOutcome(1, 0, size, crc);
  }

  /**
   * Uploads parts of a sealed file while the dump still writes it, when the repository says {@code
   * upload-while-dumping} (the default): the part size is the configured one, as the file's final
   * size is not known yet; a file that outgrows {@link #MAX_PARTS} of them is given up and uploaded
   * by the upload step with a larger part size.
   */
  @Override
  public Optional<GrowingUpload> uploadWhileWriting(
      Path file,
      String key,
      Supplier<ObjectAttributes> attributes,
      Consumer<UploadProgress> onStarted,
      WrittenChecksums.Recorder written) {
    if (!config.uploadWhileDumping()) {
      return Optional.empty();
    }
    return Optional.of(
        new S3GrowingUpload(
            this,
            file,
            key,
            attributes,
            onStarted,
            partSizeFor(0),
            config.concurrency(),
            config.verifiesByChecksum(),
            written));
  }

  /**
   * Sends part {@code number} of an open upload from its region of {@code file}, with its CRC64NVME
   * when {@code crc} is set (the store refuses bytes that do not match it).
   */
  void uploadRegion(
      Path file, String key, String uploadId, int number, long offset, long length, String crc) {
    try {
      sendPart(file, key, uploadId, number, offset, length, crc, null);
    } catch (SdkException e) {
      throw failure("upload", key, e);
    }
  }

  /** One UploadPart streamed from its region of {@code file}; {@code progress} may be null. */
  private UploadPartResponse sendPart(
      Path file,
      String key,
      String uploadId,
      int number,
      long offset,
      long length,
      String crc,
      LongConsumer progress) {
    return s3.uploadPart(
        request -> {
          request
              .bucket(config.bucket())
              .key(key)
              .uploadId(uploadId)
              .partNumber(number)
              .contentLength(length);
          if (crc != null) {
            // The store computes the part's CRC and refuses bytes that do not match it.
            request.checksumCRC64NVME(crc);
          }
        },
        RequestBody.fromContentProvider(
            region(file, offset, length, progress), length, CONTENT_TYPE));
  }

  /**
   * Sends the parts of one multipart upload, up to the repository's concurrency at once, each
   * streamed from its own range of the file (no part is held in memory). Progress is reported in
   * the caller's thread: {@code onPart} after each part (parts 1..partsDone are all stored;
   * bytesDone counts every stored part, also those past a gap), {@code whilePart} every {@link
   * #progressEveryNanos} with the bytes sent so far. A callback that throws stops new parts; the
   * parts in flight are finished, then it is thrown.
   */
  private final class PartUpload {
    private final Path file;
    private final String key;
    private final String uploadId;
    private final long partSize;
    private final long size;
    private final Map<Integer, CompletedPart> uploaded;
    private final PartChecksums sums;
    private final Consumer<UploadProgress> onPart;
    private final Consumer<UploadProgress> whilePart;
    private final int partCount;
    private final AtomicLongArray sent;
    private int resumedParts;

    PartUpload(
        Path file,
        String key,
        String uploadId,
        long partSize,
        long size,
        Map<Integer, CompletedPart> uploaded,
        PartChecksums sums,
        Consumer<UploadProgress> onPart,
        Consumer<UploadProgress> whilePart) {
      this.file = file;
      this.key = key;
      this.uploadId = uploadId;
      this.partSize = partSize;
      this.size = size;
      this.uploaded = uploaded;
      this.sums = sums;
      this.onPart = onPart;
      this.whilePart = whilePart;
      this.partCount = (int) ((size + partSize - 1) / partSize);
      this.sent = new AtomicLongArray(partCount);
    }

    int resumedParts() {
      return resumedParts;
    }

    List<CompletedPart> run() {
      int concurrency = Math.min(config.concurrency(), partCount);
      ExecutorService pool = Executors.newFixedThreadPool(concurrency, PartUpload::thread);
      CompletionService<PartDone> completion = new ExecutorCompletionService<>(pool);
      CompletedPart[] parts = new CompletedPart[partCount];
      boolean[] done = new boolean[partCount];
      long pollMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(progressEveryNanos));
      int next = 1;
      int inFlight = 0;
      int contiguous = 0;
      long bytesDone = 0;
      // Progress within parts is passed on only when it grew: nothing sent yet is no news.
      long reported = 0;
      RuntimeException failure = null;
      try {
        while (inFlight > 0 || (failure == null && next <= partCount)) {
          while (failure == null && inFlight < concurrency && next <= partCount) {
            int number = next++;
            completion.submit(() -> send(number));
            inFlight++;
          }
          Future<PartDone> finished = completion.poll(pollMillis, TimeUnit.MILLISECONDS);
          if (finished == null) {
            long now = bytesDone;
            for (int index = 0; index < partCount; index++) {
              now += done[index] ? 0 : sent.get(index);
            }
            if (failure == null && now > reported) {
              reported = now;
              try {
                whilePart.accept(
                    new UploadProgress(key, uploadId, partSize, contiguous, now, size));
              } catch (RuntimeException e) {
                failure = e;
              }
            }
            continue;
          }
          inFlight--;
          PartDone part;
          try {
            part = finished.get();
          } catch (ExecutionException e) {
            if (failure == null) {
              failure = unwrap(e);
            }
            continue;
          }
          parts[part.number() - 1] = part.part();
          done[part.number() - 1] = true;
          bytesDone += part.length();
          reported = Math.max(reported, bytesDone);
          while (contiguous < partCount && done[contiguous]) {
            contiguous++;
          }
          if (part.resumed()) {
            resumedParts++;
          } else if (failure == null) {
            try {
              onPart.accept(
                  new UploadProgress(key, uploadId, partSize, contiguous, bytesDone, size));
            } catch (RuntimeException e) {
              failure = e;
            }
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure =
            new VigilException(
                ErrorType.REPOSITORY_UNAVAILABLE, "upload of '" + key + "' was interrupted", e);
      } finally {
        // Normally idle by now; after an interrupt this stops the parts still in flight.
        pool.shutdownNow();
      }
      if (failure != null) {
        throw failure;
      }
      return List.of(parts);
    }

    /** Sends part {@code number}, or keeps the one a resumed upload already holds. */
    private PartDone send(int number) {
      long offset = (number - 1) * partSize;
      long length = Math.min(partSize, size - offset);
      String crc = sums == null ? null : Crc64Nvme.base64(sums.part(number));
      CompletedPart stored = uploaded.get(number);
      if (stored != null && (crc == null || crc.equals(stored.checksumCRC64NVME()))) {
        return new PartDone(number, stored, length, true);
      }
      SpoolFiles.requireUnchanged(file, size, key);
      int index = number - 1;
      UploadPartResponse response;
      try {
        response =
            sendPart(
                file,
                key,
                uploadId,
                number,
                offset,
                length,
                crc,
                bytes -> sent.accumulateAndGet(index, bytes, Math::max));
      } catch (SdkException e) {
        if (sums != null && sums.fromWrites() && checksumRejected(e)) {
          // Damaged on disk since it was sealed (no retry helps), or on the way (a retry does).
          SpoolFiles.requireWrittenCrc(file, offset, length, sums.part(number), key);
        }
        throw e;
      }
      return new PartDone(number, completed(number, response), length, false);
    }

    private static Thread thread(Runnable task) {
      Thread thread = new Thread(task, "vigil-upload-part");
      thread.setDaemon(true);
      return thread;
    }
  }

  /** One part in the store: sent now, or found there by a resumed upload. */
  private record PartDone(int number, CompletedPart part, long length, boolean resumed) {}

  private static RuntimeException unwrap(ExecutionException e) {
    Throwable cause = e.getCause();
    if (cause instanceof RuntimeException runtime) {
      return runtime;
    }
    if (cause instanceof Error error) {
      throw error;
    }
    return new IllegalStateException(cause);
  }

  /** The store computed another checksum for the bytes it received than Vigil sent with them. */
  private static boolean checksumRejected(SdkException e) {
    if (!(e instanceof S3Exception s3Exception) || s3Exception.statusCode() != 400) {
      return false;
    }
    String code = errorCode(s3Exception);
    String message = String.valueOf(s3Exception.awsErrorDetails().errorMessage()).toLowerCase();
    return "BadDigest".equals(code) || message.contains("checksum");
  }

  private VigilException checksumFailure(String key, SdkException e) {
    return new VigilException(
        ErrorType.REPOSITORY_UNAVAILABLE,
        "repository '"
            + config.name()
            + "': the store computed another CRC64NVME for "
            + object(key)
            + " than Vigil sent ("
            + answer((S3Exception) e)
            + "): bytes damaged on the way; the retry sends the damaged parts again",
        e);
  }

  /**
   * GetObjectAttributes names the checksum's type; a composite (per-part) checksum or none is
   * empty. A store without GetObjectAttributes is asked with a HEAD in checksum mode, and trusted
   * only when it says FULL_OBJECT too.
   */
  @Override
  public Optional<StoredChecksum> fullObjectChecksum(String key) {
    try {
      var attributes =
          s3.getObjectAttributes(
              request ->
                  request
                      .bucket(config.bucket())
                      .key(key)
                      .objectAttributes(
                          software.amazon.awssdk.services.s3.model.ObjectAttributes.CHECKSUM,
                          software.amazon.awssdk.services.s3.model.ObjectAttributes.OBJECT_SIZE));
      var checksum = attributes.checksum();
      if (checksum == null
          || checksum.checksumCRC64NVME() == null
          || checksum.checksumType() != ChecksumType.FULL_OBJECT
          || attributes.objectSize() == null) {
        return Optional.empty();
      }
      return Optional.of(new StoredChecksum(attributes.objectSize(), checksum.checksumCRC64NVME()));
    } catch (S3Exception e) {
      if (e.statusCode() == 404 && !isNoSuchBucket(e)) {
        return Optional.empty();
      }
      if (e.statusCode() != 400 && e.statusCode() != 405 && e.statusCode() != 501) {
        throw failure("read the checksum of", key, e);
      }
    } catch (SdkException e) {
      throw failure("read the checksum of", key, e);
    }
    try {
      HeadObjectResponse head =
          s3.headObject(
              request ->
                  request.bucket(config.bucket()).key(key).checksumMode(ChecksumMode.ENABLED));
      return head.checksumCRC64NVME() == null || head.checksumType() != ChecksumType.FULL_OBJECT
          ? Optional.empty()
          : Optional.of(new StoredChecksum(head.contentLength(), head.checksumCRC64NVME()));
    } catch (SdkException e) {
      throw failure("read the checksum of", key, e);
    }
  }

  @Override
  public void putFile(Path file, String key, ObjectAttributes attributes) {
    long size = SpoolFiles.sizeOf(file);
    putObject(key, attributes, region(file, 0, size), size, "upload");
  }

  /** One PUT of {@code size} bytes with the object's class, tags and metadata. */
  private void putObject(
      String key, ObjectAttributes attributes, ContentStreamProvider body, long size, String verb) {
    try {
      sendObject(key, attributes, body, size, null);
    } catch (SdkException e) {
      throw failure(verb, key, e);
    }
  }

  /** The PUT itself, with the body's CRC64NVME if {@code crc} is set (the store checks it). */
  private void sendObject(
      String key, ObjectAttributes attributes, ContentStreamProvider body, long size, String crc) {
    s3.putObject(
        request -> {
          request
              .bucket(config.bucket())
              .key(key)
              .contentType(CONTENT_TYPE)
              .storageClass(storageClass(attributes))
              .tagging(tagging(attributes))
              .metadata(metadata(attributes));
          if (crc != null) {
            request.checksumCRC64NVME(crc);
          }
        },
        RequestBody.fromContentProvider(body, size, CONTENT_TYPE));
  }

  /**
   * Streams {@code content} in: one PUT, or a multipart upload whose every part reads its own range
   * of {@code content} (a ranged GET of the source object), so neither memory nor disk holds the
   * object and a part the SDK sends again re-reads its range.
   */
  @Override
  public void putFrom(
      RangeSource content,
      long size,
      String key,
      ObjectAttributes attributes,
      LongConsumer progress) {
    long partSize = partSizeFor(size);
    if (size <= partSize) {
      putObject(key, attributes, range(content, 0, size), size, "copy into");
      progress.accept(size);
      return;
    }
    abortOpenUploads(key);
    String uploadId = createUpload(key, attributes, false);
    int partCount = (int) ((size + partSize - 1) / partSize);
    try {
      List<CompletedPart> parts = new ArrayList<>(partCount);
      for (int partNumber = 1; partNumber <= partCount; partNumber++) {
        long offset = (partNumber - 1) * partSize;
        long length = Math.min(partSize, size - offset);
        int number = partNumber;
        UploadPartResponse response =
            s3.uploadPart(
                request ->
                    request
                        .bucket(config.bucket())
                        .key(key)
                        .uploadId(uploadId)
                        .partNumber(number)
                        .contentLength(length),
                RequestBody.fromContentProvider(
                    range(content, offset, length), length, CONTENT_TYPE));
        parts.add(completed(partNumber, response));
        progress.accept(offset + length);
      }
      s3.completeMultipartUpload(
          request ->
              request
                  .bucket(config.bucket())
                  .key(key)
                  .uploadId(uploadId)
                  .multipartUpload(upload -> upload.parts(parts)));
    } catch (SdkException e) {
      abortQuietly(key, uploadId);
      throw failure("copy into", key, e);
    } catch (RuntimeException e) {
      abortQuietly(key, uploadId);
      throw e;
    }
  }

  /** {@code length} bytes of {@code content} from {@code offset}, opened anew on every read. */
  private static ContentStreamProvider range(RangeSource content, long offset, long length) {
    return () -> new BoundedStream(content.open(offset), length);
  }

  @Override
  public InputStream open(String key) {
    try {
      return s3.getObject(request -> request.bucket(config.bucket()).key(key));
    } catch (SdkException e) {
      throw failure("download", key, e);
    }
  }

  @Override
  public InputStream open(String key, long offset) {
    if (offset <= 0) {
      return open(key);
    }
    return read(key, offset).stream();
  }

  @Override
  public ObjectBody read(String key, long offset) {
    try {
      ResponseInputStream<GetObjectResponse> body =
          s3.getObject(
              request -> request.bucket(config.bucket()).key(key).range("bytes=" + offset + "-"));
      return new ObjectBody(body, objectSize(body.response(), offset));
    } catch (S3Exception e) {
      if (e.statusCode() == 416) {
        // "Range not satisfiable": the object ends before the offset.
        long size =
            e.awsErrorDetails() == null || e.awsErrorDetails().sdkHttpResponse() == null
                ? -1
                : totalOf(
                    e.awsErrorDetails()
                        .sdkHttpResponse()
                        .firstMatchingHeader("Content-Range")
                        .orElse(null));
        return new ObjectBody(InputStream.nullInputStream(), size >= 0 ? size : offset);
      }
      throw failure("download", key, e);
    } catch (SdkException e) {
      throw failure("download", key, e);
    }
  }

  @Override
  public ObjectBody read(String key, long offset, long length) {
    if (length <= 0) {
      return read(key, offset);
    }
    try {
      ResponseInputStream<GetObjectResponse> body =
          s3.getObject(
              request ->
                  request
                      .bucket(config.bucket())
                      .key(key)
                      .range("bytes=" + offset + "-" + (offset + length - 1)));
      long total = totalOf(body.response().contentRange());
      return new ObjectBody(body, total);
    } catch (S3Exception e) {
      if (e.statusCode() == 416) {
        return read(key, offset);
      }
      throw failure("download", key, e);
    } catch (SdkException e) {
      throw failure("download", key, e);
    }
  }

  @Override
  public int concurrency() {
    return config.concurrency();
  }

  /** The total in {@code Content-Range: bytes 0-99/100}, else offset + Content-Length, else -1. */
  private static long objectSize(GetObjectResponse response, long offset) {
    long total = totalOf(response.contentRange());
    if (total >= 0) {
      return total;
    }
    return response.contentLength() == null ? -1 : offset + response.contentLength();
  }

  private static long totalOf(String contentRange) {
    if (contentRange == null || contentRange.indexOf('/') < 0) {
      return -1;
    }
    String total = contentRange.substring(contentRange.lastIndexOf('/') + 1).trim();
    try {
      return Long.parseLong(total);
    } catch (NumberFormatException unknown) {
      return -1; // "*": the store does not say
    }
  }

  @Override
  public Map<String, String> tags(String key) {
    try {
      return s3
          .getObjectTagging(request -> request.bucket(config.bucket()).key(key))
          .tagSet()
          .stream()
          .collect(Collectors.toUnmodifiableMap(Tag::key, Tag::value));
    } catch (SdkException e) {
      throw failure("read tags of", key, e);
    }
  }

  @Override
  public void delete(String key) {
    try {
      s3.deleteObject(request -> request.bucket(config.bucket()).key(key));
    } catch (SdkException e) {
      throw failure("delete", key, e);
    }
  }

  @Override
  public List<String> list(String keyPrefix) {
    return listObjects(keyPrefix).stream().map(ListedObject::key).toList();
  }

  @Override
  public List<ListedObject> listObjects(String keyPrefix) {
    try {
      return s3
          .listObjectsV2Paginator(request -> request.bucket(config.bucket()).prefix(keyPrefix))
          .contents()
          .stream()
          .map(object -> new ListedObject(object.key(), object.size(), object.lastModified()))
          .toList();
    } catch (SdkException e) {
      throw failure("list", keyPrefix, e);
    }
  }

  @Override
  public List<OpenUpload> openUploads(String keyPrefix) {
    try {
      return s3
          .listMultipartUploadsPaginator(
              request -> request.bucket(config.bucket()).prefix(keyPrefix))
          .uploads()
          .stream()
          .map(upload -> new OpenUpload(upload.key(), upload.uploadId()))
          .toList();
    } catch (SdkException e) {
      throw failure("list incomplete uploads under", keyPrefix, e);
    }
  }

  @Override
  public void abortUpload(OpenUpload upload) {
    try {
      s3.abortMultipartUpload(
          request -> request.bucket(config.bucket()).key(upload.key()).uploadId(upload.uploadId()));
    } catch (S3Exception e) {
      // NoSuchUpload: completed or aborted meanwhile, which is what was wanted.
      if (e.statusCode() != 404) {
        throw failure("abort the incomplete upload of", upload.key(), e);
      }
    } catch (SdkException e) {
      throw failure("abort the incomplete upload of", upload.key(), e);
    }
  }

  /**
   * Aborts what earlier attempts left of {@code key} before a fresh upload starts: an attempt
   * killed before its first heartbeat reached Temporal started an upload no later attempt can know
   * of. Done before, not after, the new upload: S3Mock drops a key's completed object when another
   * upload of that key is aborted.
   */
  void abortOpenUploads(String key) {
    try {
      for (OpenUpload open : openUploads(key)) {
        if (open.key().equals(key)) {
          abortUpload(open);
        }
      }
    } catch (VigilException e) {
      // A store without ListMultipartUploads; a leftover is swept by a lifecycle rule.
    }
  }

  @Override
  public CopyOutcome copy(String sourceKey, String targetKey, String storageClass) {
    boolean gcs = "gcs".equals(config.type());
    try {
      HeadObjectResponse source =
          s3.headObject(request -> request.bucket(config.bucket()).key(sourceKey));
      if (source.contentLength() > MAX_SINGLE_COPY) {
        return copyInParts(sourceKey, targetKey, storageClass, source);
      }
      // Asking for a SHA-256 makes the store hash the copy's bytes: checked, not assumed.
      var result =
          s3.copyObject(
                  request ->
                      request
                          .sourceBucket(config.bucket())
                          .sourceKey(sourceKey)
                          .destinationBucket(config.bucket())
                          .destinationKey(targetKey)
                          .storageClass(storageClass)
                          .metadataDirective(MetadataDirective.COPY)
                          .taggingDirective(TaggingDirective.COPY)
                          // GCS's XML API has no x-amz-checksum-algorithm: not asked there.
                          .checksumAlgorithm(gcs ? null : ChecksumAlgorithm.SHA256))
              .copyObjectResult();
      return new CopyOutcome(
          targetKey,
          source.contentLength(),
          storageClass,
          result == null ? null : result.checksumSHA256());
    } catch (SdkException e) {
      throw failure("copy " + object(sourceKey) + " to", targetKey, e);
    }
  }

  /** CopyObject stops at 5 GB; larger objects are copied in ranges into a multipart upload. */
  private CopyOutcome copyInParts(
      String sourceKey, String targetKey, String storageClass, HeadObjectResponse source) {
    long size = source.contentLength();
    Map<String, String> tags = tags(sourceKey);
    String uploadId =
        s3.createMultipartUpload(
                request ->
                    request
                        .bucket(config.bucket())
                        .key(targetKey)
                        .contentType(source.contentType())
                        .storageClass(storageClass)
                        .metadata(source.metadata())
                        .tagging(tagging(new ObjectAttributes(storageClass, tags, Map.of()))))
            .uploadId();
    try {
      long partSize = partSizeFor(size);
      List<CompletedPart> parts = new ArrayList<>();
      for (int number = 1; (number - 1L) * partSize < size; number++) {
        long first = (number - 1L) * partSize;
        long last = Math.min(size, first + partSize) - 1;
        int partNumber = number;
        var copied =
            s3.uploadPartCopy(
                request ->
                    request
                        .sourceBucket(config.bucket())
                        .sourceKey(sourceKey)
                        .destinationBucket(config.bucket())
                        .destinationKey(targetKey)
                        .uploadId(uploadId)
                        .partNumber(partNumber)
                        .copySourceRange("bytes=" + first + "-" + last));
        parts.add(
            CompletedPart.builder()
                .partNumber(partNumber)
                .eTag(copied.copyPartResult().eTag())
                .build());
      }
      s3.completeMultipartUpload(
          request ->
              request
                  .bucket(config.bucket())
                  .key(targetKey)
                  .uploadId(uploadId)
                  .multipartUpload(upload -> upload.parts(parts)));
      return new CopyOutcome(targetKey, size, storageClass, null);
    } catch (SdkException e) {
      abortQuietly(targetKey, uploadId);
      throw e;
    }
  }

  @Override
  public ColdRestoreState requestRestore(String key, int days) {
    try {
      s3.restoreObject(
          request ->
              request
                  .bucket(config.bucket())
                  .key(key)
                  .restoreRequest(restore -> restore.days(days).tier(Tier.STANDARD)));
      return restoreState(key);
    } catch (S3Exception e) {
      String code = errorCode(e);
      if ("RestoreAlreadyInProgress".equals(code)) {
        return ColdRestoreState.IN_PROGRESS;
      }
      if ("ObjectAlreadyInActiveTierError".equals(code) || "InvalidObjectState".equals(code)) {
        return ColdRestoreState.READABLE;
      }
      // S3Mock answers a bare HTTP 400 (no error code): it has no restore API at all.
      if (e.statusCode() == 501
          || e.statusCode() == 405
          || (e.statusCode() == 400 && (code == null || code.isBlank()))
          || "NotImplemented".equals(code)
          || "MethodNotAllowed".equals(code)) {
        return ColdRestoreState.UNSUPPORTED;
      }
      throw failure("request a restore of", key, e);
    } catch (SdkException e) {
      throw failure("request a restore of", key, e);
    }
  }

  @Override
  public ColdRestoreState restoreState(String key) {
    HeadObjectResponse response;
    try {
      response = s3.headObject(request -> request.bucket(config.bucket()).key(key));
    } catch (SdkException e) {
      throw failure("read attributes of", key, e);
    }
    String storageClass = response.storageClassAsString();
    if (storageClass == null || !ARCHIVE_CLASSES.contains(storageClass)) {
      return ColdRestoreState.READABLE;
    }
    String restore = response.restore();
    if (restore == null) {
      return ColdRestoreState.ARCHIVED;
    }
    return restore.contains("ongoing-request=\"true\"")
        ? ColdRestoreState.IN_PROGRESS
        : ColdRestoreState.READABLE;
  }

  /** Part size for a file: the configured size, grown so the file fits in {@link #MAX_PARTS}. */
  long partSizeFor(long fileSize) {
    long configured =
        config.partSizeBytes() <= 0
            ? DEFAULT_PART_SIZE
            : Math.max(config.partSizeBytes(), MIN_PART_SIZE);
    long forMaxParts = (fileSize + MAX_PARTS - 1) / MAX_PARTS;
    return Math.max(configured, forMaxParts);
  }

  String createUpload(String key, ObjectAttributes attributes, boolean checksums) {
    try {
      return s3.createMultipartUpload(
              request -> {
                request
                    .bucket(config.bucket())
                    .key(key)
                    .contentType(CONTENT_TYPE)
                    .storageClass(storageClass(attributes))
                    .tagging(tagging(attributes))
                    .metadata(metadata(attributes));
                if (checksums) {
                  request
                      .checksumAlgorithm(ChecksumAlgorithm.CRC64_NVME)
                      .checksumType(ChecksumType.FULL_OBJECT);
                }
              })
          .uploadId();
    } catch (SdkException e) {
      throw failure("start upload of", key, e);
    }
  }

  /** The checksums the SDK sent (CRC32 by default) must be repeated on completion. */
  private static CompletedPart completed(int partNumber, UploadPartResponse response) {
    return CompletedPart.builder()
        .partNumber(partNumber)
        .eTag(response.eTag())
        .checksumCRC32(response.checksumCRC32())
        .checksumCRC32C(response.checksumCRC32C())
        .checksumCRC64NVME(response.checksumCRC64NVME())
        .checksumSHA1(response.checksumSHA1())
        .checksumSHA256(response.checksumSHA256())
        .build();
  }

  /**
   * The parts of an open upload that have the size this file needs at their position, or empty if
   * the upload is gone (completed, aborted or expired). The store, not the heartbeat, decides what
   * exists: parts uploaded after the last heartbeat are found too, and ETags come from the store.
   */
  private Optional<Map<Integer, CompletedPart>> listUploadedParts(
      String key, String uploadId, long partSize, long size, boolean checksums) {
    Map<Integer, CompletedPart> parts = new HashMap<>();
    try {
      var pages =
          s3.listPartsPaginator(
              request -> request.bucket(config.bucket()).key(key).uploadId(uploadId));
      for (var page : pages) {
        boolean fullObjectCrc =
            page.checksumAlgorithm() == ChecksumAlgorithm.CRC64_NVME
                && page.checksumType() == ChecksumType.FULL_OBJECT;
        if (fullObjectCrc != checksums) {
          // Started with other checksum settings (before a config change): it cannot be
          // completed as this attempt would, so it starts over.
          return Optional.empty();
        }
        collectParts(page.parts(), partSize, size, parts);
      }
    } catch (S3Exception e) {
      // S3 answers 404 NoSuchUpload; S3Mock answers 400 to an id that is not one of its UUIDs.
      // Either way this upload cannot be resumed, and starting over is always safe.
      if ((e.statusCode() == 404 || e.statusCode() == 400) && !isNoSuchBucket(e)) {
        return Optional.empty();
      }
      throw failure("resume upload of", key, e);
    } catch (SdkException e) {
      throw failure("resume upload of", key, e);
    }
    return Optional.of(parts);
  }

  private static void collectParts(
      List<Part> listed, long partSize, long size, Map<Integer, CompletedPart> parts) {
    for (Part part : listed) {
      long offset = (part.partNumber() - 1L) * partSize;
      long expectedLength = Math.min(partSize, size - offset);
      if (offset < size && part.size() == expectedLength) {
        parts.put(
            part.partNumber(),
            CompletedPart.builder()
                .partNumber(part.partNumber())
                .eTag(part.eTag())
                .checksumCRC32(part.checksumCRC32())
                .checksumCRC32C(part.checksumCRC32C())
                .checksumCRC64NVME(part.checksumCRC64NVME())
                .checksumSHA1(part.checksumSHA1())
                .checksumSHA256(part.checksumSHA256())
                .build());
      }
    }
  }

  void abortQuietly(String key, String uploadId) {
    try {
      s3.abortMultipartUpload(
          request -> request.bucket(config.bucket()).key(key).uploadId(uploadId));
    } catch (SdkException ignored) {
      // The original failure is what the caller must see; a lifecycle rule removes leftovers.
    }
  }

  /**
   * The one place SDK failures become Vigil failures, so every method reports them alike: a missing
   * bucket or refused access cannot be fixed by retrying; a server error or an unreachable endpoint
   * can.
   */
  private VigilException failure(String action, String key, SdkException e) {
    String where =
        "repository '"
            + config.name()
            + "': cannot "
            + action
            + " "
            + (key == null ? "bucket '" + config.bucket() + "'" : object(key))
            + " at "
            + endpoint();
    if (e instanceof S3Exception s3Exception) {
      int status = s3Exception.statusCode();
      String answer = answer(s3Exception);
      if (isNoSuchBucket(s3Exception) || (status == 404 && key == null)) {
        return new VigilException(
            ErrorType.REPOSITORY_NOT_FOUND,
            "repository '"
                + config.name()
                + "': bucket '"
                + config.bucket()
                + "' does not exist at "
                + endpoint()
                + "; create it or fix repositories."
                + config.name()
                + ".bucket",
            e);
      }
      if (status == 403 && "InvalidObjectState".equals(errorCode(s3Exception))) {
        // Real S3 refuses GETs of GLACIER/DEEP_ARCHIVE objects until they are restored.
        return new VigilException(
            ErrorType.OBJECT_NOT_READABLE_YET,
            where
                + ": the object is in a cold storage class and not restored yet; run `vigil"
                + " rehydrate` for it first",
            e);
      }
      if (status == 403) {
        return new VigilException(
            ErrorType.REPOSITORY_NOT_FOUND,
            where
                + ": access denied ("
                + answer
                + "); check the credentials ("
                + credentialSource()
                + ") and the bucket policy",
            e);
      }
      if (status == 404) {
        return new VigilException(
            ErrorType.REPOSITORY_NOT_FOUND, where + ": no such object (" + answer + ")", e);
      }
      if (status >= 500 || status == 408 || status == 409 || status == 429) {
        return new VigilException(
            ErrorType.REPOSITORY_UNAVAILABLE,
            where + ": the store answered " + answer + "; it may recover",
            e);
      }
      return new VigilException(
          ErrorType.INVALID_CONFIG,
          where
              + ": the store refused the request ("
              + answer
              + "); check repositories."
              + config.name()
              + ".storageClass and .checksumMode (when-required for older stores)",
          e);
    }
    if (e instanceof SdkClientException
        && String.valueOf(e.getMessage()).contains("Unable to load credentials")) {
      return new VigilException(
          ErrorType.INVALID_CONFIG,
          where
              + ": no AWS credentials found; set repositories."
              + config.name()
              + ".accessKeyId and .secretAccessKey, or the AWS default chain",
          e);
    }
    return new VigilException(
        ErrorType.REPOSITORY_UNAVAILABLE,
        where + ": the store did not answer (" + rootCause(e) + "); check that it is reachable",
        e);
  }

  private static boolean isNoSuchBucket(S3Exception e) {
    return "NoSuchBucket".equals(errorCode(e));
  }

  private static String errorCode(S3Exception e) {
    return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
  }

  /** "HTTP 403 AccessDenied", or "HTTP 400" when the store sent no error body. */
  private static String answer(S3Exception e) {
    String code = errorCode(e);
    return "HTTP " + e.statusCode() + (code == null || code.isBlank() ? "" : " " + code);
  }

  private String object(String key) {
    return "object '" + key + "' in bucket '" + config.bucket() + "'";
  }

  private String endpoint() {
    return config.endpoint() != null ? config.endpoint().toString() : "AWS " + config.region();
  }

  private String credentialSource() {
    return config.accessKeyId() != null && config.accessKeyId().isSet()
        ? config.accessKeyId().describe()
        : "AWS default chain";
  }

  /** The innermost cause, on one line: "ConnectException: Connection refused". */
  private static String rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? "" : ": " + root.getMessage();
    return (root.getClass().getSimpleName() + message).replaceAll("\\s+", " ");
  }

  private String storageClass(ObjectAttributes attributes) {
    if (attributes != null && attributes.storageClass() != null) {
      return attributes.storageClass();
    }
    return config.storageClass();
  }

  /** The {@code x-amz-tagging} header: URL-encoded {@code key=value} pairs, or null for none. */
  private static String tagging(ObjectAttributes attributes) {
    if (attributes == null || attributes.tags() == null || attributes.tags().isEmpty()) {
      return null;
    }
    return attributes.tags().entrySet().stream()
        .map(
            tag ->
                SdkHttpUtils.urlEncode(tag.getKey()) + "=" + SdkHttpUtils.urlEncode(tag.getValue()))
        .collect(Collectors.joining("&"));
  }

  private static Map<String, String> metadata(ObjectAttributes attributes) {
    return attributes == null || attributes.metadata() == null ? Map.of() : attributes.metadata();
  }

  /**
   * A region of a file as a request body. The SDK may read a body more than once (to sign it, then
   * on a retry), so each read opens a fresh stream.
   */
  private static ContentStreamProvider region(Path file, long offset, long length) {
    return region(file, offset, length, null);
  }

  /** As {@link #region(Path, long, long)}, telling {@code progress} the bytes read (if set). */
  private static ContentStreamProvider region(
      Path file, long offset, long length, LongConsumer progress) {
    return () -> {
      try {
        return new FileRegionInputStream(file, offset, length, progress);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open spool file " + file, e);
      }
    };
  }

  /** Reads {@code length} bytes of a file from {@code offset}, without buffering the region. */
  private static final class FileRegionInputStream extends InputStream {
    private final Path file;
    private final FileChannel channel;
    private final long start;
    private final long end;
    private final LongConsumer progress;
    private long position;

    FileRegionInputStream(Path file, long offset, long length, LongConsumer progress)
        throws IOException {
      this.file = file;
      this.channel = FileChannel.open(file, StandardOpenOption.READ);
      this.start = offset;
      this.position = offset;
      this.end = offset + length;
      this.progress = progress;
    }

    @Override
    public int read() throws IOException {
      byte[] single = new byte[1];
      return read(single, 0, 1) < 0 ? -1 : single[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int off, int len) throws IOException {
      if (position >= end) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      int wanted = (int) Math.min(len, end - position);
      int read = channel.read(ByteBuffer.wrap(buffer, off, wanted), position);
      if (read < 0) {
        throw new EOFException("spool file " + file + " is shorter than when its upload began");
      }
      position += read;
      if (progress != null) {
        progress.accept(position - start);
      }
      return read;
    }

    @Override
    public long skip(long n) {
      long skipped = Math.max(0, Math.min(n, end - position));
      position += skipped;
      return skipped;
    }

    @Override
    public int available() {
      return (int) Math.min(Integer.MAX_VALUE, end - position);
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
