package dev.vigil.activities.crypto;

/** What sealing produced: the stored file's size and SHA-256, and the compression used. */
public record SealOutcome(long rawBytes, long storedBytes, String sha256, String compression) {}
