-- The CRC64NVME Vigil computed over a pack's bytes when the repository verifies uploads by
-- checksum (null otherwise, and for packs written before): the verify step compares the store's
-- full-object checksum with it instead of reading the pack back.
ALTER TABLE cas_pack ADD COLUMN crc64nvme text;
