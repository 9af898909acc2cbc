package dev.vigil.activities.store;

/**
 * The checksum a store computed itself over a whole object's bytes, and the object's size.
 *
 * @param crc64nvme CRC64NVME of type FULL_OBJECT, base64 as S3 writes it
 */
public record StoredChecksum(long size, String crc64nvme) {}
