package dev.vigil.workflows.backup;

/** Dump a source into the spool of the host that runs this activity. */
public record DumpRequest(String backupId, SourceRef source) {}
