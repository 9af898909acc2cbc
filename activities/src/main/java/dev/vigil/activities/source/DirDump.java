package dev.vigil.activities.source;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/** A directory written as a tar archive, with its file list beside it. */
public record DirDump(
    Path archive,
    Path fileList,
    long archiveBytes,
    long entries,
    long contentBytes,
    Instant consistentAt,
    List<String> warnings) {}
