package dev.vigil.workflows.backup;

import java.util.List;

/** Record a verified backup as ARCHIVED. */
public record ArchiveRequest(
    String backupId,
    DumpResult dump,
    SealResult sealed,
    UploadResult upload,
    UploadVerification verification,
    List<String> warnings) {}
