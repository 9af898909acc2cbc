package dev.vigil.activities.source;

import dev.vigil.activities.VigilServices;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * A dump in progress.
 *
 * @param services the worker's services (secrets, catalog, dumpers)
 * @param backupId the backup being taken
 * @param dir a fresh, empty spool directory the dump writes into
 * @param heartbeat reports progress (bytes written so far) to Temporal
 */
public record DumpStep(
    VigilServices services, String backupId, Path dir, Consumer<Object> heartbeat) {}
