package dev.vigil.starter.read;

import dev.vigil.starter.schedule.ScheduleDefinition;
import dev.vigil.starter.schedule.ScheduleKind;
import dev.vigil.starter.schedule.StoredSchedule;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gauges derived from the catalog, one series per source (or plan) whatever the number of workers,
 * so only the API exports them. As Prometheus names: {@code backup_last_success_timestamp}, {@code
 * backup_size_bytes} and {@code backup_duration_seconds} by source and kind (the newest ARCHIVED
 * backup); {@code drill_last_run_timestamp}, {@code drill_rto_seconds}, {@code drill_rpo_seconds},
 * {@code drill_rto_objective_seconds}, {@code drill_rpo_objective_seconds} and {@code
 * drill_schedule_interval_seconds} by plan.
 *
 * <p>The catalog is read once when bound and then every {@code refreshEvery} on a daemon thread,
 * never per scrape; a failed read keeps the previous values and is logged. A plan without an
 * objective has no objective series (0 would make every drill "over objective").
 */
public final class CatalogGauges implements MeterBinder, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CatalogGauges.class);

  private final CatalogReader reader;
  private final Duration refreshEvery;
  private final List<Bound> bound = new CopyOnWriteArrayList<>();
  private ScheduledExecutorService refresher;
  private volatile boolean lastRefreshFailed;

  /** Gauges over {@code reader}'s catalog, re-read every {@code refreshEvery}. */
  public CatalogGauges(CatalogReader reader, Duration refreshEvery) {
    if (refreshEvery.isNegative() || refreshEvery.isZero()) {
      throw new IllegalArgumentException("refreshEvery must be positive, got " + refreshEvery);
    }
    this.reader = reader;
    this.refreshEvery = refreshEvery;
  }

  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    Bound gauges = new Bound(registry);
    bound.add(gauges);
    refresh();
    if (refresher == null) {
      refresher =
          Executors.newSingleThreadScheduledExecutor(
              runnable -> {
                Thread thread = new Thread(runnable, "vigil-catalog-gauges");
                thread.setDaemon(true);
                return thread;
              });
      long millis = refreshEvery.toMillis();
      refresher.scheduleWithFixedDelay(this::refresh, millis, millis, TimeUnit.MILLISECONDS);
    }
  }

  /** Reads the catalog now and updates every bound registry's gauges. */
  public void refresh() {
    Snapshot snapshot;
    try {
      snapshot = read();
    } catch (RuntimeException e) {
      if (!lastRefreshFailed) {
        LOG.warn("catalog gauges keep their previous values: {}", e.getMessage());
      }
      lastRefreshFailed = true;
      return;
    }
    if (lastRefreshFailed) {
      LOG.info("catalog gauges read the catalog again");
    }
    lastRefreshFailed = false;
    for (Bound gauges : bound) {
      gauges.update(snapshot);
    }
  }

  @Override
  public synchronized void close() {
    if (refresher != null) {
      refresher.shutdownNow();
      refresher = null;
    }
  }

  private Snapshot read() {
    List<MultiGauge.Row<?>> lastSuccess = new ArrayList<>();
    List<MultiGauge.Row<?>> size = new ArrayList<>();
    List<MultiGauge.Row<?>> duration = new ArrayList<>();
    for (BackupView backup : reader.latestBackups("ARCHIVED", null)) {
      if (backup.finishedAt() == null) {
        continue;
      }
      Tags tags = Tags.of("source", backup.source(), "kind", backup.kind());
      lastSuccess.add(MultiGauge.Row.of(tags, epochSeconds(backup.finishedAt())));
      size.add(MultiGauge.Row.of(tags, backup.storedBytes()));
      if (backup.startedAt() != null) {
        duration.add(
            MultiGauge.Row.of(
                tags,
                Duration.between(backup.startedAt(), backup.finishedAt()).toMillis() / 1000.0));
      }
    }
    List<MultiGauge.Row<?>> drillRun = new ArrayList<>();
    List<MultiGauge.Row<?>> rto = new ArrayList<>();
    List<MultiGauge.Row<?>> rpo = new ArrayList<>();
    List<MultiGauge.Row<?>> rtoObjective = new ArrayList<>();
    List<MultiGauge.Row<?>> rpoObjective = new ArrayList<>();
    for (DrillView drill : reader.latestDrills()) {
      Tags tags = Tags.of("plan", drill.plan());
      drillRun.add(MultiGauge.Row.of(tags, epochSeconds(drill.finishedAt())));
      rto.add(MultiGauge.Row.of(tags, drill.totalRtoMillis() / 1000.0));
      rpo.add(MultiGauge.Row.of(tags, drill.worstRpoMillis() / 1000.0));
      if (drill.rtoObjectiveMillis() > 0) {
        rtoObjective.add(MultiGauge.Row.of(tags, drill.rtoObjectiveMillis() / 1000.0));
      }
      if (drill.rpoObjectiveMillis() > 0) {
        rpoObjective.add(MultiGauge.Row.of(tags, drill.rpoObjectiveMillis() / 1000.0));
      }
    }
    // Several schedules may drill one plan: the most frequent one sets the expectation.
    Map<String, Long> intervals = new TreeMap<>();
    for (StoredSchedule schedule : reader.schedules()) {
      ScheduleDefinition definition = schedule.definition();
      if (definition.kind() == ScheduleKind.DRILL && definition.plan() != null) {
        intervals.merge(definition.plan(), schedule.intervalSeconds(), Math::min);
      }
    }
    List<MultiGauge.Row<?>> interval = new ArrayList<>();
    intervals.forEach(
        (plan, seconds) -> interval.add(MultiGauge.Row.of(Tags.of("plan", plan), seconds)));
    return new Snapshot(
        lastSuccess, size, duration, drillRun, rto, rpo, rtoObjective, rpoObjective, interval);
  }

  private static double epochSeconds(Instant instant) {
    return instant.toEpochMilli() / 1000.0;
  }

  private record Snapshot(
      List<MultiGauge.Row<?>> lastSuccess,
      List<MultiGauge.Row<?>> size,
      List<MultiGauge.Row<?>> duration,
      List<MultiGauge.Row<?>> drillRun,
      List<MultiGauge.Row<?>> rto,
      List<MultiGauge.Row<?>> rpo,
      List<MultiGauge.Row<?>> rtoObjective,
      List<MultiGauge.Row<?>> rpoObjective,
      List<MultiGauge.Row<?>> interval) {}

  /** The gauges of one registry. Names and units give the Prometheus names listed above. */
  private static final class Bound {
    private final MultiGauge lastSuccess;
    private final MultiGauge size;
    private final MultiGauge duration;
    private final MultiGauge drillRun;
    private final MultiGauge rto;
    private final MultiGauge rpo;
    private final MultiGauge rtoObjective;
    private final MultiGauge rpoObjective;
    private final MultiGauge interval;

    Bound(MeterRegistry registry) {
      lastSuccess =
          gauge(
              registry,
              "backup.last.success.timestamp",
              null,
              "When the newest archived backup of the source finished (epoch seconds)");
      size =
          gauge(
              registry,
              "backup.size",
              BaseUnits.BYTES,
              "Stored bytes of the newest archived backup");
      duration =
          gauge(
              registry,
              "backup.duration",
              "seconds",
              "Start to finish of the newest archived backup");
      drillRun =
          gauge(
              registry,
              "drill.last.run.timestamp",
              null,
              "When the newest drill of the plan finished (epoch seconds)");
      rto = gauge(registry, "drill.rto", "seconds", "Total RTO measured by the newest drill");
      rpo = gauge(registry, "drill.rpo", "seconds", "Worst RPO measured by the newest drill");
      rtoObjective = gauge(registry, "drill.rto.objective", "seconds", "The plan's RTO objective");
      rpoObjective = gauge(registry, "drill.rpo.objective", "seconds", "The plan's RPO objective");
      interval =
          gauge(
              registry,
              "drill.schedule.interval",
              "seconds",
              "Nominal time between two scheduled drills of the plan");
    }

    private static MultiGauge gauge(
        MeterRegistry registry, String name, String baseUnit, String description) {
      return MultiGauge.builder(name)
          .description(description)
          .baseUnit(baseUnit)
          .register(registry);
    }

    void update(Snapshot snapshot) {
      lastSuccess.register(snapshot.lastSuccess(), true);
      size.register(snapshot.size(), true);
      duration.register(snapshot.duration(), true);
      drillRun.register(snapshot.drillRun(), true);
      rto.register(snapshot.rto(), true);
      rpo.register(snapshot.rpo(), true);
      rtoObjective.register(snapshot.rtoObjective(), true);
      rpoObjective.register(snapshot.rpoObjective(), true);
      interval.register(snapshot.interval(), true);
    }
  }
}
