package dev.vigil.workflows.backup;

import java.util.List;

/**
 * The dump is readable and non-empty.
 *
 * @param previousRawBytes raw size of the last archived backup of the source, or -1 if none
 * @param warnings e.g. a size deviation over 15% from the previous backup
 */
public record VerifyDumpResult(long listedEntries, long previousRawBytes, List<String> warnings) {}
