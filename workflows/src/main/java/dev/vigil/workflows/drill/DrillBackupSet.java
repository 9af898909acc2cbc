package dev.vigil.workflows.drill;

import java.util.List;

/** The newest backup set whose backups of the plan's sources are all archived. */
public record DrillBackupSet(String setId, List<DrillBackup> backups) {}
