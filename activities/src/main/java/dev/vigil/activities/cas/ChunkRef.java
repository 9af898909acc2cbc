package dev.vigil.activities.cas;

/**
 * Where one encrypted chunk lies: {@code length} bytes at {@code offset} of the pack object {@code
 * pack} (its full key in the repository).
 */
public record ChunkRef(String pack, long offset, int length) {}
