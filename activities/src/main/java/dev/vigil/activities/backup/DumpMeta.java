package dev.vigil.activities.backup;

import java.util.List;

/**
 * What the dump step left in the spool for the steps after it.
 *
 * @param rawFile the dump's file name in the spool
 * @param listFile the side file naming its content: tables.json or files.jsonl
 * @param warnings things a person should know (files changed while read)
 */
public record DumpMeta(String format, String rawFile, String listFile, List<String> warnings) {}
