package dev.vigil.workflows.restore;

import java.util.List;

/**
 * What validating a restored copy found.
 *
 * @param checks one line per check that passed, e.g. {@code conversations: 100000 rows as recorded}
 * @param failures one line per check that failed; empty when {@code passed}
 */
public record ValidationResult(boolean passed, List<String> checks, List<String> failures) {}
