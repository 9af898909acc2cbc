package dev.vigil.activities.catalog;

import java.util.List;

/**
 * What a catalog rebuild found in one repository.
 *
 * @param repository the repository's name in vigil.yaml
 * @param location where it lives ({@code s3://bucket/prefix})
 * @param backupManifests backup manifests found
 * @param backupsAdded backup rows recreated
 * @param backupsPresent backup rows that were already there and agree with their manifest
 * @param setManifests backup-set manifests found
 * @param setsAdded set rows recreated
 * @param setsPresent set rows that were already there and agree with their manifest
 * @param refused one line per manifest that failed authentication or could not be used
 * @param conflicts one line per row that disagrees with its authentic manifest (left as is)
 */
public record RebuildReport(
    String repository,
    String location,
    int backupManifests,
    int backupsAdded,
    int backupsPresent,
    int setManifests,
    int setsAdded,
    int setsPresent,
    List<String> refused,
    List<String> conflicts) {

  public RebuildReport {
    refused = List.copyOf(refused);
    conflicts = List.copyOf(conflicts);
  }

  /** True when every manifest was authentic and every row agrees with it. */
  public boolean clean() {
    return refused.isEmpty() && conflicts.isEmpty();
  }

  /** The one-line count summary. */
  public String summary() {
    return "catalog rebuild from repository '"
        + repository
        + "' ("
        + location
        + "): "
        + backupManifests
        + " backup manifests ("
        + backupsAdded
        + " added, "
        + backupsPresent
        + " already present), "
        + setManifests
        + " set manifests ("
        + setsAdded
        + " added, "
        + setsPresent
        + " already present), "
        + refused.size()
        + " refused, "
        + conflicts.size()
        + " conflicting";
  }
}
