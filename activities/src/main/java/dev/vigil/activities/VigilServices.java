package dev.vigil.activities;

import dev.vigil.activities.backup.ManifestWriter;
import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.catalog.Catalog;
import dev.vigil.activities.catalog.PostgresCatalog;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.Secrets;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.crypto.EncryptionKey;
import dev.vigil.activities.crypto.Sealer;
import dev.vigil.activities.source.DirectoryDumper;
import dev.vigil.activities.source.PgTools;
import dev.vigil.activities.source.PostgresDumper;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.Repositories;
import dev.vigil.workflows.common.ErrorType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * The plain services one worker process uses, built once from a validated config: one store (and
 * its client) per repository, one catalog, one sealer. Activities are thin adapters over these.
 */
public final class VigilServices implements AutoCloseable {
  private final VigilConfig config;
  private final Function<String, String> environment;
  private final PostgresCatalog catalog;
  private final EncryptionKey key;
  private final Sealer sealer;
  private final ManifestWriter manifests;
  private final Spool spool;
  private final PostgresDumper postgresDumper;
  private final DirectoryDumper directoryDumper = new DirectoryDumper();
  private final Map<String, ObjectStore> stores = new LinkedHashMap<>();

  /** Builds every service; fails with a VigilException naming what is wrong. */
  public VigilServices(VigilConfig config, Function<String, String> environment) {
    this.config = config;
    this.environment = environment;
    if (config.catalog() == null) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG, config.file() + ": catalog: missing; the worker needs one");
    }
    this.catalog =
        PostgresCatalog.create(config.catalog(), secret(config.catalog().password(), "catalog"));
    this.key = EncryptionKey.load(config.encryption(), environment);
    this.sealer = new Sealer(key);
    this.manifests = new ManifestWriter(key);
    this.spool = new Spool(config.worker().spoolDir());
    this.postgresDumper = new PostgresDumper(PgTools.locate());
    config
        .repositories()
        .forEach(
            (name, repository) -> {
              stores.put(
                  name, Repositories.open(repository, ref -> Secrets.resolve(ref, environment)));
            });
  }

  public VigilConfig config() {
    return config;
  }

  public Catalog catalog() {
    return catalog;
  }

  /** The catalog database, for capability-specific tables (drill reports, retention). */
  public DataSource catalogDataSource() {
    return catalog.dataSource();
  }

  public Sealer sealer() {
    return sealer;
  }

  public EncryptionKey key() {
    return key;
  }

  public ManifestWriter manifests() {
    return manifests;
  }

  public Spool spool() {
    return spool;
  }

  public PostgresDumper postgresDumper() {
    return postgresDumper;
  }

  public DirectoryDumper directoryDumper() {
    return directoryDumper;
  }

  /** The configured source; INVALID_CONFIG naming the known ones if there is none. */
  public SourceConfig source(String name) {
    SourceConfig source = config.sources().get(name);
    if (source == null) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "no source '"
              + name
              + "' in "
              + config.file()
              + " on this worker; known: "
              + config.sources().keySet());
    }
    return source;
  }

  /** The store of a repository; INVALID_CONFIG if it is not configured on this worker. */
  public ObjectStore store(String repository) {
    ObjectStore store = stores.get(repository);
    if (store == null) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "no repository '" + repository + "' in " + config.file() + " on this worker");
    }
    return store;
  }

  /** A secret's value where it is used; INVALID_CONFIG naming the reference if unreadable. */
  public String secret(dev.vigil.activities.config.SecretRef ref, String owner) {
    try {
      return Secrets.resolve(ref, environment);
    } catch (IllegalArgumentException e) {
      throw new VigilException(ErrorType.INVALID_CONFIG, owner + ": " + e.getMessage());
    }
  }

  @Override
  public void close() {
    stores.values().forEach(ObjectStore::close);
  }
}
