package dev.vigil.activities.check;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog-against-repository check (without reading data) run by the worker on a daemon thread
 * at start and every {@code interval}, exported as {@code vigil_check_problems{source,kind}} (0 for
 * every configured source and kind the check found nothing of) and {@code
 * vigil_check_last_run_timestamp_seconds} (when the last check finished; NaN until one did). A
 * check that cannot run (catalog or store unreachable) keeps the last values, so the timestamp ages
 * and an alert on it fires; each failure is logged.
 */
public final class CheckGauges implements AutoCloseable {
  /** How often the worker checks: one listing of each repository and one catalog query. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofHours(1);

  private static final Logger log = LoggerFactory.getLogger(CheckGauges.class);

  private final Supplier<RepositoryChecks.Report> check;
  private final List<String> sources;
  private final Clock clock;
  private MultiGauge problems;
  private volatile double lastRun = Double.NaN;
  private ScheduledExecutorService scheduler;

  /** Gauges of {@code checks}' object check over every source. */
  public CheckGauges(RepositoryChecks checks, Clock clock) {
    this(() -> checks.objects(List.of()), checks.sources(), clock);
  }

  /**
   * @param check one run of the check
   * @param sources the sources that get a series for every kind, problems or not
   */
  public CheckGauges(Supplier<RepositoryChecks.Report> check, List<String> sources, Clock clock) {
    this.check = check;
    this.sources = List.copyOf(sources);
    this.clock = clock;
  }

  /** Registers the gauges; they have no value until the first check finished. */
  public synchronized void bindTo(MeterRegistry registry) {
    problems =
        MultiGauge.builder("vigil.check.problems")
            .description(
                "Problems the last check of the catalog against the repositories found, by kind")
            .register(registry);
    Gauge.builder("vigil.check.last.run.timestamp.seconds", this, gauges -> gauges.lastRun)
        .description("When the worker last finished checking the catalog against the repositories")
        // Nothing else holds this object: a weak reference would leave NaN after a GC.
        .strongReference(true)
        .register(registry);
  }

  /** Runs the check now and updates the gauges; a failed check is logged and changes nothing. */
  public void runOnce() {
    RepositoryChecks.Report report;
    try {
      report = check.get();
    } catch (RuntimeException e) {
      if (!Thread.currentThread().isInterrupted()) {
        // An interrupt is the worker stopping, not a failed check.
        log.warn("repository check failed: {}; the last values stay", e.getMessage());
      }
      return;
    }
    Map<String, Map<String, Integer>> counts = report.problemCounts();
    TreeSet<String> labelled = new TreeSet<>(sources);
    labelled.addAll(counts.keySet());
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (String source : labelled) {
      Map<String, Integer> kinds = counts.getOrDefault(source, Map.of());
      for (String kind : CheckProblem.OBJECT_KINDS) {
        rows.add(
            MultiGauge.Row.of(
                Tags.of("source", source, "kind", kind), kinds.getOrDefault(kind, 0)));
      }
    }
    synchronized (this) {
      if (problems != null) {
        problems.register(rows, true);
      }
    }
    lastRun = clock.millis() / 1000.0;
    if (!report.ok()) {
      report.results().stream()
          .flatMap(result -> result.problems().stream())
          .forEach(problem -> log.warn("repository check: {}", problem.message()));
    }
    log.info("repository {}", report.summary());
  }

  /** Checks at once on a daemon thread, then every {@code interval}. */
  public synchronized void start(Duration interval) {
    if (scheduler != null) {
      return;
    }
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "vigil-repository-check");
              thread.setDaemon(true);
              return thread;
            });
    scheduler.scheduleWithFixedDelay(this::runOnce, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
      scheduler = null;
    }
  }
}
