package dev.vigil.activities.source;

/**
 * What a driver's streamed dump produced ({@link SourceDriver#dumpInto}).
 *
 * @param dump the dump, as {@link SourceDriver#dump} describes it
 * @param verifiedEntries the entries the check on the way counted (what {@link SourceDriver#verify}
 *     returns for a raw file)
 */
public record StreamedDump(SourceDump dump, long verifiedEntries) {}
