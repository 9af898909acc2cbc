package dev.vigil.workflows.retention;

/** Asks to delete the archived WAL of {@code source} that no kept base backup needs any more. */
public record WalExpiryRequest(String runId, String source) {}
