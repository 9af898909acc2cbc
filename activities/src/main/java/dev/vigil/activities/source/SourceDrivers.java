package dev.vigil.activities.source;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.source.directory.DirectoryDriver;
import dev.vigil.activities.source.mongo.MongoDriver;
import dev.vigil.activities.source.postgres.PostgresDriver;
import dev.vigil.activities.source.redis.RedisDriver;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.SelectedBackup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The source kinds this Vigil knows, by {@code type:} and by the backup formats they write. A new
 * kind is one {@link SourceDriver} added to {@link #STANDARD}.
 */
public final class SourceDrivers {

  /** Every kind, in the order `vigil.yaml` errors list them. */
  public static final SourceDrivers STANDARD =
      new SourceDrivers(
          List.of(
              new PostgresDriver(), new DirectoryDriver(), new RedisDriver(), new MongoDriver()));

  private final Map<String, SourceDriver> byType = new LinkedHashMap<>();
  private final Map<String, SourceDriver> byFormat = new LinkedHashMap<>();

  public SourceDrivers(List<SourceDriver> drivers) {
    for (SourceDriver driver : drivers) {
      if (byType.put(driver.type(), driver) != null) {
        throw new IllegalArgumentException("two source drivers of type " + driver.type());
      }
      for (String format : driver.formats()) {
        if (byFormat.put(format, driver) != null) {
          throw new IllegalArgumentException("two source drivers write format " + format);
        }
      }
    }
  }

  /** The {@code type:} values known, in order. */
  public Set<String> types() {
    return byType.keySet();
  }

  /** The driver of {@code type}, if there is one. */
  public Optional<SourceDriver> forType(String type) {
    return Optional.ofNullable(byType.get(type));
  }

  /** The driver of a configured source's type. */
  public SourceDriver of(dev.vigil.activities.config.SourceConfig source) {
    return forType(source.type())
        .orElseThrow(
            () ->
                new VigilException(
                    ErrorType.INVALID_CONFIG,
                    "source '"
                        + source.name()
                        + "' has type '"
                        + source.type()
                        + "', which this worker cannot back up; known: "
                        + types()));
  }

  /** The driver that reads {@code backup}: the one that writes its format. */
  public SourceDriver forBackup(SelectedBackup backup) {
    SourceDriver driver = byFormat.get(backup.format());
    if (driver == null) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "backup '"
              + backup.backupId()
              + "' has format '"
              + backup.format()
              + "', which this worker cannot restore (known: "
              + byFormat.keySet()
              + "); restore it on a worker of the Vigil version that wrote it");
    }
    return driver;
  }

  /** The driver that writes {@code format}, if there is one. */
  public Optional<SourceDriver> forFormat(String format) {
    return Optional.ofNullable(byFormat.get(format));
  }

  /** Stops any fresh server a driver started for {@code restoreId}. */
  public void stopFresh(String restoreId) {
    byType.values().forEach(driver -> driver.stopFresh(restoreId));
  }

  /** Stops what every driver's drill restores started for {@code drillId}. */
  public void tearDownDrill(String drillId) {
    List<RuntimeException> failures = new ArrayList<>();
    for (SourceDriver driver : byType.values()) {
      try {
        driver.tearDownDrill(drillId);
      } catch (RuntimeException e) {
        failures.add(e);
      }
    }
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
  }
}
