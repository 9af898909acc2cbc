package dev.vigil.workflows.backup;

/** Compress and encrypt a verified dump. */
public record SealRequest(SourceRef source, DumpResult dump) {}
