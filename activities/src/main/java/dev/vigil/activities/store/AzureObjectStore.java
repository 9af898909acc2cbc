package dev.vigil.activities.store;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.core.util.Contexts;
import com.azure.core.util.ProgressReporter;
import com.azure.core.util.polling.LongRunningOperationStatus;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.AccessTier;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.Block;
import com.azure.storage.blob.models.BlockListType;
import com.azure.storage.blob.models.CopyStatusType;
import com.azure.storage.blob.models.DeleteSnapshotsOptionType;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.models.RehydratePriority;
import com.azure.storage.blob.options.BlobBeginCopyOptions;
import com.azure.storage.blob.options.BlobInputStreamOptions;
import com.azure.storage.blob.options.BlobSetAccessTierOptions;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.options.BlockBlobStageBlockOptions;
import com.azure.storage.blob.specialized.BlobInputStream;
import com.azure.storage.blob.specialized.BlockBlobClient;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.AzureRepositoryConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.workflows.backup.UploadProgress;
import dev.vigil.workflows.common.ErrorType;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An {@link ObjectStore} over one Azure Blob Storage container and blob name prefix.
 *
 * <p>Files are uploaded as block blobs: each part is a staged block (Put Block) whose id names the
 * upload and the part, and the blob appears only when the block list is committed (Put Block List).
 * A retried attempt lists the blob's blocks and stages only those its upload does not have yet.
 * Storage classes are Vigil's (S3's) names mapped onto access tiers: STANDARD is Hot, STANDARD_IA
 * and ONEZONE_IA are Cool, GLACIER_IR is Cold, GLACIER and DEEP_ARCHIVE are Archive. Every SDK
 * failure becomes a {@link VigilException} with a one-line message naming the repository, container
 * and blob, never a credential.
 */
public final class AzureObjectStore implements ObjectStore {

  /** Block size when the repository does not set one. */
  public static final long DEFAULT_BLOCK_SIZE = 16L * 1024 * 1024;

  /** At most this many blocks, safely below Azure's limit of 50,000 per blob. */
  static final long MAX_BLOCKS = 45_000;

  /** Azure's largest block. */
  static final long MAX_BLOCK_SIZE = 4000L * 1024 * 1024;

  /** Bytes fetched per ranged GET while a blob is streamed. */
  private static final int READ_CHUNK = 4 * 1024 * 1024;

  private static final String CONTENT_TYPE = "application/octet-stream";

  /**
   * Metadata holding the storage class Vigil asked for, so DEEP_ARCHIVE reads back as DEEP_ARCHIVE
   * although Azure has one Archive tier for it and GLACIER.
   */
  static final String CLASS_METADATA = "vigil_storage_class";

  /** The upload id of {@link OpenUpload}s: Azure has blocks, not upload ids. */
  static final String UNCOMMITTED = "uncommitted-blocks";

  private final AzureRepositoryConfig config;
  private final BlobContainerClient container;
  private final String prefix;
  private final long progressEveryNanos;

  /**
   * @param config the repository
   * @param container a client for the repository's container (see {@link AzureClients})
   */
  public AzureObjectStore(AzureRepositoryConfig config, BlobContainerClient container) {
    this(config, container, PartProgress.EVERY);
  }

  /** A store that reports progress within a block at most every {@code progressEvery}. */
  AzureObjectStore(
      AzureRepositoryConfig config, BlobContainerClient container, Duration progressEvery) {
    this.config = Objects.requireNonNull(config, "config");
    this.container = Objects.requireNonNull(container, "container");
    this.prefix = KeyPrefix.of(config.prefix());
    this.progressEveryNanos = progressEvery.toNanos();
  }

  /** The blob service URL of {@code config}: its endpoint, or Azure's for the account. */
  static String endpointOf(AzureRepositoryConfig config) {
    return config.endpoint() != null
        ? config.endpoint().toString()
        : "https://" + config.account() + ".blob.core.windows.net";
  }

  /**
   * A store with its own client.
   *
   * @param secrets as for {@link AzureClients#create(AzureRepositoryConfig, Function)}
   */
  public static AzureObjectStore open(
      AzureRepositoryConfig config, Function<SecretRef, String> secrets) {
    return new AzureObjectStore(config, AzureClients.create(config, secrets));
  }

  /**
   * The access tier of a storage class: Vigil's (S3's) names, or Azure's tier names in any case.
   *
   * @throws VigilException INVALID_CONFIG for anything else
   */
  static AccessTier tierOf(String storageClass) {
    String tier = AzureRepositoryConfig.TIER_OF_CLASS.get(storageClass);
    if (tier == null) {
      tier =
          AzureRepositoryConfig.TIERS.stream()
              .filter(name -> name.equalsIgnoreCase(storageClass))
              .findFirst()
              .orElseThrow(
                  () ->
                      new VigilException(
                          ErrorType.INVALID_CONFIG,
                          "unknown storage class or access tier '"
                              + storageClass
                              + "' for Azure; use Hot, Cool, Cold or Archive (or one of "
                              + new TreeSet<>(AzureRepositoryConfig.TIER_OF_CLASS.keySet())
                              + ")"));
    }
    return AccessTier.fromString(tier);
  }

  /** Vigil's storage class for a tier (Hot is STANDARD, Archive is GLACIER, ...). */
  static String classOf(AccessTier tier) {
    return AzureRepositoryConfig.CLASS_OF_TIER.entrySet().stream()
        .filter(entry -> AccessTier.fromString(entry.getKey()).equals(tier))
        .map(Map.Entry::getValue)
        .findFirst()
        .orElse("STANDARD");
  }

  @Override
  public String bucket() {
    return config.container();
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
      // A one-blob listing, not Get Container Properties: a container SAS may list but not read
      // the container's properties.
      container
          .listBlobs(new ListBlobsOptions().setMaxResultsPerPage(1), null)
          .streamByPage()
          .findFirst();
    } catch (RuntimeException e) {
      throw failure("reach", null, e);
    }
  }

  @Override
  public Optional<StoredObject> head(String key) {
    BlobProperties properties;
    try {
      properties = blob(key).getProperties();
    } catch (BlobStorageException e) {
      // Azure names the missing thing even on a HEAD (x-ms-error-code): only a missing blob is
      // "no such object"; a missing container is reported as one.
      if (e.getStatusCode() == 404 && !isContainerNotFound(e)) {
        return Optional.empty();
      }
      throw failure("read attributes of", key, e);
    } catch (RuntimeException e) {
      throw failure("read attributes of", key, e);
    }
    return Optional.of(
        new StoredObject(
            key,
            properties.getBlobSize(),
            storageClass(properties.getAccessTier(), properties.getMetadata()),
            fromAzure(properties.getMetadata()),
            properties.getETag()));
  }

  @Override
  public UploadOutcome uploadFile(
      Path file,
      String key,
      ObjectAttributes attributes,
      UploadProgress resumeFrom,
      Consumer<UploadProgress> onPart,
      Consumer<UploadProgress> whilePart) {
    long size = SpoolFiles.sizeOf(file);
    if (size == 0) {
      putFile(file, key, attributes);
      onPart.accept(new UploadProgress(key, null, blockSizeFor(0), 1, 0, 0));
      return new UploadOutcome(1, 0, 0);
    }

    String uploadId;
    long blockSize;
    Set<String> staged = Set.of();
    if (resumeFrom != null
        && isUploadId(resumeFrom.uploadId())
        && key.equals(resumeFrom.objectKey())
        && resumeFrom.partSize() > 0) {
      uploadId = resumeFrom.uploadId();
      blockSize = resumeFrom.partSize();
      staged = stagedBlocks(key, uploadId, blockSize, size);
    } else {
      // A fresh id: blocks an earlier attempt staged under another id are never committed, and
      // Azure discards them when this upload's block list is committed.
      uploadId = UUID.randomUUID().toString();
      blockSize = blockSizeFor(size);
    }

    int blockCount = (int) ((size + blockSize - 1) / blockSize);
    List<String> blockIds = new ArrayList<>(blockCount);
    int resumed = 0;
    for (int partNumber = 1; partNumber <= blockCount; partNumber++) {
      long offset = (partNumber - 1) * blockSize;
      long length = Math.min(blockSize, size - offset);
      String blockId = blockId(uploadId, partNumber);
      blockIds.add(blockId);
      if (staged.contains(blockId)) {
        resumed++;
        continue;
      }
      SpoolFiles.requireUnchanged(file, size, key);
      UploadProgress before =
          new UploadProgress(key, uploadId, blockSize, partNumber - 1, offset, size);
      PartProgress within =
          new PartProgress(
              progressEveryNanos,
              sent ->
                  whilePart.accept(
                      new UploadProgress(
                          key,
                          before.uploadId(),
                          before.partSize(),
                          before.partsDone(),
                          before.bytesDone() + sent,
                          size)));
      stageBlock(file, key, blockId, offset, length, size, within);
      within.rethrowDeferred();
      // Blocks are staged in order, so 1..partNumber are all in the store now.
      onPart.accept(
          new UploadProgress(key, uploadId, blockSize, partNumber, offset + length, size));
    }
    SpoolFiles.requireUnchanged(file, size, key);
    commit(key, blockIds, attributes);
    return new UploadOutcome(blockCount, resumed, size);
  }

  /** Sends one block, telling {@code within} the bytes sent so far. */
  private void stageBlock(
      Path file,
      String key,
      String blockId,
      long offset,
      long length,
      long size,
      PartProgress within) {
    Context progress =
        Contexts.with(Context.NONE)
            .setHttpRequestProgressReporter(ProgressReporter.withProgressListener(within::sent))
            .getContext();
    try {
      blockBlob(key)
          .stageBlockWithResponse(
              new BlockBlobStageBlockOptions(
                  blockId, BinaryData.fromFile(file, offset, length, READ_CHUNK)),
              null,
              progress);
    } catch (RuntimeException e) {
      // A spool file that vanished while a block was read fails inside the HTTP client.
      throw SpoolFiles.spoolChanged(file, size)
          ? SpoolFiles.spoolChangedFailure(file, key)
          : failure("upload", key, e);
    }
  }

  /** Makes the staged blocks the blob's content, with its attributes. */
  private void commit(String key, List<String> blockIds, ObjectAttributes attributes) {
    try {
      blockBlob(key)
          .commitBlockListWithResponse(
              new BlockBlobCommitBlockListOptions(blockIds)
                  .setHeaders(new BlobHttpHeaders().setContentType(CONTENT_TYPE))
                  .setMetadata(toAzure(attributes, storageClassOf(attributes)))
                  .setTags(tags(attributes))
                  .setTier(tierOf(storageClassOf(attributes))),
              null,
              Context.NONE);
    } catch (RuntimeException e) {
      throw failure("upload", key, e);
    }
  }

  /**
   * The blocks of upload {@code uploadId} the blob has, committed or not, that have the size this
   * file needs at their position. The store, not the heartbeat, decides: blocks staged after the
   * last heartbeat are found too, and so are all of them when the attempt died after its commit.
   */
  private Set<String> stagedBlocks(String key, String uploadId, long blockSize, long size) {
    Map<String, Long> expected = new HashMap<>();
    for (int partNumber = 1; (partNumber - 1L) * blockSize < size; partNumber++) {
      long offset = (partNumber - 1L) * blockSize;
      expected.put(blockId(uploadId, partNumber), Math.min(blockSize, size - offset));
    }
    Set<String> found = new HashSet<>();
    try {
      var blocks = blockBlob(key).listBlocks(BlockListType.ALL);
      List<Block> all = new ArrayList<>(blocks.getCommittedBlocks());
      all.addAll(blocks.getUncommittedBlocks());
      for (Block block : all) {
        Long length = expected.get(block.getName());
        if (length != null && length == block.getSizeLong()) {
          found.add(block.getName());
        }
      }
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404 && !isContainerNotFound(e)) {
        return Set.of(); // nothing staged yet, or expired: every block is sent again
      }
      throw failure("resume upload of", key, e);
    } catch (RuntimeException e) {
      throw failure("resume upload of", key, e);
    }
    return found;
  }

  /**
   * A block id: the upload's id and the part number, of one length for every block of a blob as
   * Azure requires, base64-encoded as the API wants.
   */
  static String blockId(String uploadId, int partNumber) {
    String plain = "vigil-" + uploadId + "-" + String.format(Locale.ROOT, "%06d", partNumber);
    return Base64.getEncoder().encodeToString(plain.getBytes(StandardCharsets.US_ASCII));
  }

  /** Only ids this store made (UUIDs) are resumed: block ids must all have one length. */
  private static boolean isUploadId(String uploadId) {
    if (uploadId == null) {
      return false;
    }
    try {
      return UUID.fromString(uploadId).toString().equals(uploadId);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Block size for a file: the configured size, grown so the file fits in {@link #MAX_BLOCKS}. */
  long blockSizeFor(long fileSize) {
    long configured =
        config.blockSizeBytes() <= 0
            ? DEFAULT_BLOCK_SIZE
            : Math.min(config.blockSizeBytes(), MAX_BLOCK_SIZE);
    long forMaxBlocks = (fileSize + MAX_BLOCKS - 1) / MAX_BLOCKS;
    return Math.max(configured, forMaxBlocks);
  }

  @Override
  public void putFile(Path file, String key, ObjectAttributes attributes) {
    SpoolFiles.sizeOf(file);
    try {
      blockBlob(key)
          .uploadWithResponse(
              new BlockBlobSimpleUploadOptions(BinaryData.fromFile(file))
                  .setHeaders(new BlobHttpHeaders().setContentType(CONTENT_TYPE))
                  .setMetadata(toAzure(attributes, storageClassOf(attributes)))
                  .setTags(tags(attributes))
                  .setTier(tierOf(storageClassOf(attributes))),
              null,
              Context.NONE);
    } catch (RuntimeException e) {
      throw failure("upload", key, e);
    }
  }

  @Override
  public InputStream open(String key) {
    return read(key, 0).stream();
  }

  @Override
  public InputStream open(String key, long offset) {
    return read(key, Math.max(0, offset)).stream();
  }

  @Override
  public ObjectBody read(String key, long offset) {
    try {
      // Chunked ranged GETs pinned to the first response's ETag: a blob replaced while it is
      // read fails the read instead of mixing two versions.
      BlobInputStream stream =
          blob(key)
              .openInputStream(
                  new BlobInputStreamOptions()
                      .setRange(new BlobRange(offset))
                      .setBlockSize(READ_CHUNK));
      return new ObjectBody(stream, stream.getProperties().getBlobSize());
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 416) {
        // "Range not satisfiable": the blob ends before the offset.
        long size = head(key).map(StoredObject::size).orElse(offset);
        return new ObjectBody(InputStream.nullInputStream(), size);
      }
      throw failure("download", key, e);
    } catch (RuntimeException e) {
      throw failure("download", key, e);
    }
  }

  @Override
  public Map<String, String> tags(String key) {
    try {
      return Map.copyOf(blob(key).getTags());
    } catch (RuntimeException e) {
      throw failure("read tags of", key, e);
    }
  }

  @Override
  public void delete(String key) {
    try {
      blob(key)
          .deleteIfExistsWithResponse(DeleteSnapshotsOptionType.INCLUDE, null, null, Context.NONE);
    } catch (RuntimeException e) {
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
      List<ListedObject> listed = new ArrayList<>();
      for (BlobItem item : container.listBlobs(new ListBlobsOptions().setPrefix(keyPrefix), null)) {
        listed.add(
            new ListedObject(
                item.getName(),
                item.getProperties().getContentLength(),
                item.getProperties().getLastModified().toInstant()));
      }
      return listed;
    } catch (RuntimeException e) {
      throw failure("list", keyPrefix, e);
    }
  }

  /**
   * Blobs under {@code keyPrefix} that have staged blocks and were never committed: what a listing
   * with uncommitted blobs holds beyond a plain one. (Blocks staged onto a blob that exists are not
   * listed by Azure; it discards them after seven days.)
   */
  @Override
  public List<OpenUpload> openUploads(String keyPrefix) {
    try {
      Set<String> committed = new HashSet<>(list(keyPrefix));
      List<OpenUpload> open = new ArrayList<>();
      ListBlobsOptions withUncommitted =
          new ListBlobsOptions()
              .setPrefix(keyPrefix)
              .setDetails(new BlobListDetails().setRetrieveUncommittedBlobs(true));
      for (BlobItem item : container.listBlobs(withUncommitted, null)) {
        if (!committed.contains(item.getName())) {
          open.add(new OpenUpload(item.getName(), UNCOMMITTED));
        }
      }
      return open;
    } catch (VigilException e) {
      throw e;
    } catch (RuntimeException e) {
      throw failure("list incomplete uploads under", keyPrefix, e);
    }
  }

  /**
   * Frees the staged blocks of a blob that was never committed: Azure drops a blob's uncommitted
   * blocks when a block list is committed, so an empty list is committed (only if no blob exists by
   * then) and the empty blob deleted.
   */
  @Override
  public void abortUpload(OpenUpload upload) {
    try {
      blockBlob(upload.key())
          .commitBlockListWithResponse(
              new BlockBlobCommitBlockListOptions(List.of())
                  .setRequestConditions(new BlobRequestConditions().setIfNoneMatch("*")),
              null,
              Context.NONE);
      blob(upload.key()).deleteIfExists();
    } catch (BlobStorageException e) {
      // 409 BlobAlreadyExists / 412: committed meanwhile, so it is no longer an open upload.
      if (e.getStatusCode() != 409 && e.getStatusCode() != 412) {
        throw failure("abort the incomplete upload of", upload.key(), e);
      }
    } catch (RuntimeException e) {
      throw failure("abort the incomplete upload of", upload.key(), e);
    }
  }

  /**
   * Copies a blob inside the container into {@code storageClass}'s tier, with its metadata and
   * tags. The same key changes the blob's tier in place (Set Blob Tier), which Azure, unlike S3,
   * does without a copy.
   */
  @Override
  public CopyOutcome copy(String sourceKey, String targetKey, String storageClass) {
    AccessTier tier = tierOf(storageClass);
    try {
      BlobProperties source = blob(sourceKey).getProperties();
      Map<String, String> metadata = new HashMap<>(source.getMetadata());
      metadata.put(CLASS_METADATA, vigilClass(storageClass));
      if (sourceKey.equals(targetKey)) {
        if (!AccessTier.ARCHIVE.equals(source.getAccessTier())) {
          // Metadata cannot be written once a blob is archived: first the class, then the tier.
          blob(sourceKey).setMetadata(metadata);
        }
        blob(sourceKey)
            .setAccessTierWithResponse(
                new BlobSetAccessTierOptions(tier).setPriority(RehydratePriority.STANDARD),
                null,
                Context.NONE);
      } else {
        var poller =
            blob(targetKey)
                .beginCopy(
                    new BlobBeginCopyOptions(blob(sourceKey).getBlobUrl())
                        .setMetadata(metadata)
                        .setTags(blob(sourceKey).getTags())
                        .setTier(tier)
                        .setPollInterval(Duration.ofSeconds(1)));
        var done = poller.waitForCompletion();
        if (done.getStatus() != LongRunningOperationStatus.SUCCESSFULLY_COMPLETED
            || done.getValue().getCopyStatus() != CopyStatusType.SUCCESS) {
          throw new VigilException(
              ErrorType.REPOSITORY_UNAVAILABLE,
              "repository '"
                  + config.name()
                  + "': the copy of "
                  + object(sourceKey)
                  + " to '"
                  + targetKey
                  + "' ended "
                  + done.getValue().getCopyStatus()
                  + "; it may succeed when retried");
        }
      }
      return new CopyOutcome(targetKey, source.getBlobSize(), vigilClass(storageClass), null);
    } catch (VigilException e) {
      throw e;
    } catch (RuntimeException e) {
      throw failure("copy " + object(sourceKey) + " to", targetKey, e);
    }
  }

  /**
   * Rehydrates an archived blob to the repository's tier (Hot when that is Archive) at standard
   * priority. Azure moves the blob out of Archive for good: {@code days} does not apply.
   */
  @Override
  public ColdRestoreState requestRestore(String key, int days) {
    ColdRestoreState state = restoreState(key);
    if (state != ColdRestoreState.ARCHIVED) {
      return state;
    }
    AccessTier target = tierOf(defaultClass());
    try {
      blob(key)
          .setAccessTierWithResponse(
              new BlobSetAccessTierOptions(
                      AccessTier.ARCHIVE.equals(target) ? AccessTier.HOT : target)
                  .setPriority(RehydratePriority.STANDARD),
              null,
              Context.NONE);
    } catch (BlobStorageException e) {
      if (BlobErrorCode.BLOB_BEING_REHYDRATED.equals(e.getErrorCode())) {
        return ColdRestoreState.IN_PROGRESS;
      }
      throw failure("request a rehydration of", key, e);
    } catch (RuntimeException e) {
      throw failure("request a rehydration of", key, e);
    }
    return restoreState(key);
  }

  @Override
  public ColdRestoreState restoreState(String key) {
    BlobProperties properties;
    try {
      properties = blob(key).getProperties();
    } catch (RuntimeException e) {
      throw failure("read attributes of", key, e);
    }
    if (!AccessTier.ARCHIVE.equals(properties.getAccessTier())) {
      return ColdRestoreState.READABLE;
    }
    // "rehydrate-pending-to-hot" (or -cool, -cold) while Azure moves it out of Archive.
    return properties.getArchiveStatus() == null
        ? ColdRestoreState.ARCHIVED
        : ColdRestoreState.IN_PROGRESS;
  }

  private BlockBlobClient blockBlob(String key) {
    return container.getBlobClient(key).getBlockBlobClient();
  }

  private com.azure.storage.blob.BlobClient blob(String key) {
    return container.getBlobClient(key);
  }

  private String defaultClass() {
    return config.storageClass();
  }

  private String storageClassOf(ObjectAttributes attributes) {
    if (attributes != null && attributes.storageClass() != null) {
      return attributes.storageClass();
    }
    return defaultClass();
  }

  /** The Vigil name a requested class is recorded under: S3's names as given, Azure's mapped. */
  private static String vigilClass(String storageClass) {
    return AzureRepositoryConfig.TIER_OF_CLASS.containsKey(storageClass)
        ? storageClass
        : classOf(tierOf(storageClass));
  }

  /**
   * The blob's storage class: the one Vigil recorded if the blob is still in its tier (it is not
   * after a rehydration), else the tier's. Azure omits the tier of a blob that has the account's
   * default tier (Hot).
   */
  private static String storageClass(AccessTier tier, Map<String, String> azureMetadata) {
    AccessTier actual = tier == null ? AccessTier.HOT : tier;
    String recorded = azureMetadata == null ? null : azureMetadata.get(CLASS_METADATA);
    if (recorded != null
        && AzureRepositoryConfig.TIER_OF_CLASS.containsKey(recorded)
        && tierOf(recorded).equals(actual)) {
      return recorded;
    }
    return classOf(actual);
  }

  /**
   * Azure metadata names must be C# identifiers: Vigil's {@code vigil-sha256} is stored as {@code
   * vigil_sha256} and read back with its hyphen (Vigil's own names have no underscores).
   */
  private static Map<String, String> toAzure(ObjectAttributes attributes, String storageClass) {
    Map<String, String> metadata = new HashMap<>();
    if (attributes != null && attributes.metadata() != null) {
      attributes.metadata().forEach((name, value) -> metadata.put(name.replace('-', '_'), value));
    }
    metadata.put(CLASS_METADATA, vigilClass(storageClass));
    return metadata;
  }

  private static Map<String, String> fromAzure(Map<String, String> azureMetadata) {
    Map<String, String> metadata = new HashMap<>();
    if (azureMetadata != null) {
      azureMetadata.forEach(
          (name, value) -> {
            if (!CLASS_METADATA.equals(name)) {
              metadata.put(name.replace('_', '-'), value);
            }
          });
    }
    return Map.copyOf(metadata);
  }

  private static Map<String, String> tags(ObjectAttributes attributes) {
    return attributes == null || attributes.tags() == null || attributes.tags().isEmpty()
        ? null
        : attributes.tags();
  }

  private static boolean isContainerNotFound(BlobStorageException e) {
    return BlobErrorCode.CONTAINER_NOT_FOUND.equals(e.getErrorCode());
  }

  /**
   * The one place SDK failures become Vigil failures: a missing container or refused credentials
   * cannot be fixed by retrying; a server error or an unreachable endpoint can. Azure's error
   * bodies are not quoted (an authentication failure echoes the request's signature).
   */
  private VigilException failure(String action, String key, RuntimeException e) {
    String where =
        "repository '"
            + config.name()
            + "': cannot "
            + action
            + " "
            + (key == null ? "container '" + config.container() + "'" : object(key))
            + " at "
            + endpoint();
    if (e instanceof BlobStorageException storage) {
      int status = storage.getStatusCode();
      BlobErrorCode code = storage.getErrorCode();
      String answer = "HTTP " + status + (code == null ? "" : " " + code);
      if (BlobErrorCode.CONTAINER_NOT_FOUND.equals(code) || (status == 404 && key == null)) {
        return new VigilException(
            ErrorType.REPOSITORY_NOT_FOUND,
            "repository '"
                + config.name()
                + "': container '"
                + config.container()
                + "' does not exist at "
                + endpoint()
                + "; create it or fix repositories."
                + config.name()
                + ".container");
      }
      if (BlobErrorCode.BLOB_ARCHIVED.equals(code)
          || BlobErrorCode.BLOB_BEING_REHYDRATED.equals(code)) {
        return new VigilException(
            ErrorType.OBJECT_NOT_READABLE_YET,
            where
                + ": the blob is in the Archive tier and not rehydrated yet; run `vigil"
                + " rehydrate` for it first");
      }
      if (status == 403) {
        return new VigilException(
            ErrorType.REPOSITORY_NOT_FOUND,
            where
                + ": access denied ("
                + answer
                + "); check the credentials ("
                + AzureClients.credentialSource(config)
                + ") and the container's access rules");
      }
      if (status == 404) {
        return new VigilException(
            ErrorType.REPOSITORY_NOT_FOUND, where + ": no such blob (" + answer + ")");
      }
      if (status >= 500 || status == 408 || status == 409 || status == 429) {
        return new VigilException(
            ErrorType.REPOSITORY_UNAVAILABLE,
            where + ": the store answered " + answer + "; it may recover");
      }
      return new VigilException(
          ErrorType.INVALID_CONFIG,
          where
              + ": the store refused the request ("
              + answer
              + "); check repositories."
              + config.name()
              + ".access-tier and the account's features");
    }
    return new VigilException(
        ErrorType.REPOSITORY_UNAVAILABLE,
        where + ": the store did not answer (" + rootCause(e) + "); check that it is reachable",
        e);
  }

  private String object(String key) {
    return "blob '" + key + "' in container '" + config.container() + "'";
  }

  private String endpoint() {
    return container.getAccountUrl();
  }

  /** The innermost cause on one line, with any SAS signature in a URL cut out. */
  private static String rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? "" : ": " + root.getMessage();
    return (root.getClass().getSimpleName() + message)
        .replaceAll("(?i)sig=[^&\\s]*", "sig=REDACTED")
        .replaceAll("\\s+", " ");
  }
}
