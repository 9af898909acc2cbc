package dev.vigil.workflows.backup;

/** Check a dump before it is sealed. */
public record VerifyDumpRequest(SourceRef source, DumpResult dump) {}
