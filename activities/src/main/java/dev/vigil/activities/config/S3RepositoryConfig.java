package dev.vigil.activities.config;

import java.net.URI;

/**
 * An S3 (or S3-compatible) bucket backups go to.
 *
 * @param endpoint null for AWS itself
 * @param prefix key prefix inside the bucket, without leading or trailing slash ("" for none)
 * @param checksumMode {@code when-supported} (SDK default, CRC32) or {@code when-required} (for
 *     stores that reject the newer checksums)
 * @param accessKeyId where the access key id lives; unset means the AWS default chain
 * @param secretAccessKey where the secret key lives; set together with accessKeyId
 */
public record S3RepositoryConfig(
    String name,
    URI endpoint,
    String region,
    String bucket,
    String prefix,
    String storageClass,
    boolean pathStyleAccess,
    String checksumMode,
    SecretRef accessKeyId,
    SecretRef secretAccessKey,
    long partSizeBytes) {}
