package dev.vigil.activities.check;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.cas.ChunkCatalog;
import dev.vigil.activities.config.Sizes;
import dev.vigil.activities.retention.RetentionCatalog;
import dev.vigil.activities.wal.WalChain;
import dev.vigil.activities.wal.WalCheck;
import dev.vigil.activities.wal.WalSegment;
import dev.vigil.activities.wal.WalStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The checks of {@code vigil check} over the repositories and the catalog: the catalog's backups
 * and set manifests against the stored objects (optionally read back), and the WAL chain of every
 * physical PostgreSQL source.
 */
public final class RepositoryChecks {
  /** Backups read back at once by default: a few streams keep a link busy without much memory. */
  public static final int DEFAULT_PARALLEL = 4;

  private final VigilServices services;
  private final RetentionCatalog catalog;

  public RepositoryChecks(VigilServices services) {
    this.services = services;
    this.catalog = new RetentionCatalog(services.catalogDataSource());
  }

  /**
   * Everything one {@code vigil check} found.
   *
   * @param results per source and check, in the order they are printed
   * @param summary the closing line: what was checked and how many problems of each kind
   */
  public record Report(List<CheckResult> results, String summary) {
    public boolean ok() {
      return results.stream().allMatch(CheckResult::ok);
    }

    /** Problems by source and kind: the values of {@code vigil_check_problems}. */
    public Map<String, Map<String, Integer>> problemCounts() {
      Map<String, Map<String, Integer>> counts = new TreeMap<>();
      for (CheckResult result : results) {
        for (CheckProblem problem : result.problems()) {
          counts
              .computeIfAbsent(problem.source(), source -> new TreeMap<>())
              .merge(problem.kind(), 1, Integer::sum);
        }
      }
      return counts;
    }
  }

  /** The sources whose WAL is archived: postgres sources with {@code mode: physical}. */
  public List<String> physicalSources() {
    return services.config().physicalSources();
  }

  /** Every configured source. */
  public List<String> sources() {
    return List.copyOf(services.config().sources().keySet());
  }

  /**
   * Every check of {@code sources} (every source, and the set manifests, when empty);
   * INVALID_CONFIG for a source the config does not have.
   *
   * @param readData also read every archived backup back (SHA-256, decryption, manifest HMAC)
   * @param parallel backups read back at once
   */
  public Report run(List<String> sources, boolean readData, int parallel, Instant now) {
    sources.forEach(services::source);
    ObjectReport objects = objectReport(sources, readData, parallel);
    List<CheckResult> results = new ArrayList<>(objects.results());
    List<String> physical = physicalSources();
    for (String name : sources.isEmpty() ? physical : sources) {
      if (physical.contains(name)) {
        WalStatus status = wal(name);
        results.add(
            new CheckResult(
                name,
                "wal",
                status.problems().stream()
                    .map(line -> new CheckProblem(CheckProblem.WAL_GAP, name, null, null, line))
                    .toList(),
                List.of(),
                status.ok() ? WalCheck.summary(status, now) : null));
      }
    }
    return report(objects, results, readData);
  }

  /**
   * The catalog against the stored objects of {@code sources} (all, and the set manifests, when
   * empty), without the WAL check and without reading data: what the worker's gauges export.
   */
  public Report objects(List<String> sources) {
    ObjectReport objects = objectReport(sources, false, 1);
    return report(objects, objects.results(), false);
  }

  private ObjectReport objectReport(List<String> sources, boolean readData, int parallel) {
    Map<String, String> sourceRepositories = new LinkedHashMap<>();
    services
        .config()
        .sources()
        .forEach((name, source) -> sourceRepositories.put(name, source.repository()));
    return new ObjectCheck(
            services::store,
            services.config().repositories().keySet(),
            sourceRepositories,
            new CheckCatalog(services.catalogDataSource()),
            new DataVerifier(services.sealer(), services.manifests(), services.keys()),
            new ChunkCatalog(services.catalogDataSource()))
        .run(sources, readData, parallel);
  }

  /** The WAL chain of one source against its kept base backups. */
  public WalStatus wal(String source) {
    var config = services.source(source);
    WalChain chain =
        WalChain.list(services.store(config.repository()), source, WalSegment.DEFAULT_SIZE);
    return WalCheck.status(source, chain, catalog.physicalBackups(source));
  }

  private static Report report(ObjectReport totals, List<CheckResult> results, boolean readData) {
    Report report = new Report(List.copyOf(results), null);
    Map<String, Integer> kinds = new LinkedHashMap<>();
    report
        .problemCounts()
        .values()
        .forEach(counts -> counts.forEach((kind, n) -> kinds.merge(kind, n, Integer::sum)));
    int problems = kinds.values().stream().mapToInt(Integer::intValue).sum();
    StringBuilder line =
        new StringBuilder("check: ")
            .append(ObjectCheck.count(totals.backups(), "archived backup"))
            .append(", ")
            .append(ObjectCheck.count(totals.objects(), "object"))
            .append(" (")
            .append(Sizes.format(totals.bytes()))
            .append(")");
    if (totals.setManifests() > 0) {
      line.append(", ").append(ObjectCheck.count(totals.setManifests(), "set manifest"));
    }
    if (readData) {
      line.append(", ")
          .append(ObjectCheck.count(totals.read(), "backup"))
          .append(" read back (")
          .append(Sizes.format(totals.bytesRead()))
          .append(")");
      if (totals.notRead() > 0) {
        line.append(", ").append(totals.notRead()).append(" cold, not read");
      }
    }
    if (problems == 0) {
      line.append(": no problem");
    } else {
      List<String> parts = new ArrayList<>();
      List<String> order = new ArrayList<>(CheckProblem.OBJECT_KINDS);
      order.add(CheckProblem.WAL_GAP);
      for (String kind : order) {
        if (kinds.containsKey(kind)) {
          parts.add(kinds.get(kind) + " " + kind.replace('_', ' '));
        }
      }
      line.append(": ")
          .append(ObjectCheck.count(problems, "problem"))
          .append(" (")
          .append(String.join(", ", parts))
          .append(")");
    }
    return new Report(report.results(), line.toString());
  }
}
