package dev.vigil.workflows.backup;

/** Upload a sealed backup and its manifest. */
public record UploadRequest(
    String setId, SourceRef source, DumpResult dump, SealResult sealed, VerifyDumpResult check) {}
