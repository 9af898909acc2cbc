package dev.vigil.activities.config;

import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * An Azure Blob Storage container backups go to ({@code type: azure}).
 *
 * <p>Vigil's storage classes are S3's names; they map onto Azure's access tiers: STANDARD is Hot,
 * STANDARD_IA and ONEZONE_IA are Cool, GLACIER_IR is Cold, GLACIER and DEEP_ARCHIVE are Archive.
 *
 * @param account the storage account name (null when a connection string names it)
 * @param container the blob container
 * @param endpoint the blob service URL; null for {@code https://<account>.blob.core.windows.net}
 *     (Azurite: {@code http://127.0.0.1:10000/devstoreaccount1})
 * @param prefix blob name prefix inside the container, without leading or trailing slash ("" for
 *     none)
 * @param accessTier the tier new blobs get: {@code Hot}, {@code Cool}, {@code Cold} or {@code
 *     Archive}
 * @param accountKey where the account's shared key lives
 * @param sasToken where a SAS token lives (instead of the key)
 * @param connectionString where a connection string lives (instead of account key and endpoint)
 * @param blockSizeBytes bytes per staged block; 0 for the default
 */
public record AzureRepositoryConfig(
    String name,
    String account,
    String container,
    URI endpoint,
    String prefix,
    String accessTier,
    SecretRef accountKey,
    SecretRef sasToken,
    SecretRef connectionString,
    long blockSizeBytes)
    implements RepositoryConfig {

  /** The {@code type:} of this kind. */
  public static final String TYPE = "azure";

  /** Azure's access tiers, as the API spells them. */
  public static final Set<String> TIERS = Set.of("Hot", "Cool", "Cold", "Archive");

  /** The tier each of Vigil's storage classes is stored in. */
  public static final Map<String, String> TIER_OF_CLASS =
      Map.of(
          "STANDARD", "Hot",
          "STANDARD_IA", "Cool",
          "ONEZONE_IA", "Cool",
          "GLACIER_IR", "Cold",
          "GLACIER", "Archive",
          "DEEP_ARCHIVE", "Archive");

  /** The storage class a tier reads back as when Vigil did not record one. */
  public static final Map<String, String> CLASS_OF_TIER =
      Map.of("Hot", "STANDARD", "Cool", "STANDARD_IA", "Cold", "GLACIER_IR", "Archive", "GLACIER");

  @Override
  public String type() {
    return TYPE;
  }

  /** Vigil's name of the repository's tier (Hot is STANDARD). */
  @Override
  public String storageClass() {
    return CLASS_OF_TIER.getOrDefault(accessTier == null ? "Hot" : accessTier, "STANDARD");
  }

  /** Retention moves copies to Cool, Cold or Archive with Set Blob Tier or a copy. */
  @Override
  public Set<String> archiveStorageClasses() {
    return Set.of("STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE");
  }
}
