package dev.vigil.activities.wal;

import dev.vigil.activities.store.ListedObject;
import dev.vigil.activities.store.ObjectStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The WAL segments a source's archive holds, per timeline, from one listing of the repository
 * ({@code <prefix>/<source>/wal/}): what a point-in-time restore can replay from a base backup's
 * start segment, where the chain has gaps, and which segments no kept base backup needs. Partial
 * segments, history files and backup labels are not segments and are not counted here; {@link
 * #before} still finds partial segments and labels, which belong to the segment they name.
 */
public final class WalChain {
  private final ObjectStore store;
  private final String source;
  private final long segmentSize;
  private final Map<Integer, NavigableSet<Long>> byTimeline;
  private final List<ListedObject> objects;
  private final Instant lastArchivedAt;

  private WalChain(
      ObjectStore store,
      String source,
      long segmentSize,
      Map<Integer, NavigableSet<Long>> byTimeline,
      List<ListedObject> objects,
      Instant lastArchivedAt) {
    this.store = store;
    this.source = source;
    this.segmentSize = segmentSize;
    this.byTimeline = byTimeline;
    this.objects = objects;
    this.lastArchivedAt = lastArchivedAt;
  }

  /**
   * Lists the source's archive once. The prefix ends with a slash ({@code key()} trims it), so
   * another directory whose name starts with {@code wal} is not listed.
   */
  public static WalChain list(ObjectStore store, String source, long segmentSize) {
    Map<Integer, NavigableSet<Long>> byTimeline = new TreeMap<>();
    List<ListedObject> objects = store.listObjects(store.key(source + "/wal") + "/");
    Instant lastArchivedAt = null;
    for (ListedObject object : objects) {
      Optional<WalSegment> segment = segmentOf(fileName(object), segmentSize);
      if (segment.isEmpty()) {
        continue;
      }
      byTimeline
          .computeIfAbsent(segment.get().timeline(), t -> new TreeSet<>())
          .add(segment.get().number());
      if (object.lastModified() != null
          && (lastArchivedAt == null || object.lastModified().isAfter(lastArchivedAt))) {
        lastArchivedAt = object.lastModified();
      }
    }
    return new WalChain(store, source, segmentSize, byTimeline, objects, lastArchivedAt);
  }

  /** The segment a stored object holds, or empty for labels, partials, history and other files. */
  private static Optional<WalSegment> segmentOf(String file, long segmentSize) {
    if (!file.endsWith(".vgl")) {
      return Optional.empty();
    }
    return WalSegment.parse(file.substring(0, file.length() - ".vgl".length()), segmentSize);
  }

  private static String fileName(ListedObject object) {
    return object.key().substring(object.key().lastIndexOf('/') + 1);
  }

  /** When the store last wrote a segment of this source (S3's LastModified); empty if none. */
  public Optional<Instant> lastArchivedAt() {
    return Optional.ofNullable(lastArchivedAt);
  }

  /** When the store wrote a segment (S3's LastModified), if the archive holds it. */
  public Optional<Instant> archivedAt(WalSegment segment) {
    String key = key(segment);
    return objects.stream()
        .filter(object -> object.key().equals(key))
        .map(ListedObject::lastModified)
        .findFirst();
  }

  /** How many segments the archive holds, all timelines together. */
  public long segmentCount() {
    return byTimeline.values().stream().mapToLong(NavigableSet::size).sum();
  }

  /** The newest archived segment: the last one of the highest timeline. */
  public Optional<WalSegment> newest() {
    return byTimeline.isEmpty()
        ? Optional.empty()
        : last(((TreeMap<Integer, NavigableSet<Long>>) byTimeline).lastKey());
  }

  /**
   * The stored WAL files no replay from {@code start} reads: segments, partial segments and backup
   * labels of {@code start}'s timeline or an earlier one whose segment number is below {@code
   * start}'s, in key order. History files are never among them (a restore reads them to follow
   * timelines), nor is anything of a later timeline or anything the listing did not recognise.
   */
  public List<ListedObject> before(WalSegment start) {
    List<ListedObject> expired = new ArrayList<>();
    for (ListedObject object : objects) {
      String file = fileName(object);
      if (!file.endsWith(".vgl") || file.length() < 24 + ".vgl".length()) {
        continue;
      }
      String name = file.substring(0, file.length() - ".vgl".length());
      boolean walFile;
      try {
        WalFileName parsed = WalFileName.parse(name);
        walFile = parsed.isSegment() || name.endsWith(".partial") || name.endsWith(".backup");
      } catch (RuntimeException notWal) {
        walFile = false;
      }
      if (!walFile) {
        continue;
      }
      Optional<WalSegment> segment = WalSegment.parse(name.substring(0, 24), segmentSize);
      if (segment.isPresent()
          && segment.get().timeline() <= start.timeline()
          && segment.get().number() < start.number()) {
        expired.add(object);
      }
    }
    return expired;
  }

  public long segmentSize() {
    return segmentSize;
  }

  /** The timelines that hold at least one segment, ascending. */
  public List<Integer> timelines() {
    return List.copyOf(byTimeline.keySet());
  }

  /** Whether the archive holds the segment. */
  public boolean contains(WalSegment segment) {
    NavigableSet<Long> numbers = byTimeline.get(segment.timeline());
    return numbers != null && numbers.contains(segment.number());
  }

  /** Every archived segment of a timeline, ascending. */
  public List<WalSegment> segments(int timeline) {
    List<WalSegment> segments = new ArrayList<>();
    for (long number : byTimeline.getOrDefault(timeline, new TreeSet<>())) {
      segments.add(new WalSegment(timeline, number));
    }
    return segments;
  }

  /** The newest archived segment of a timeline. */
  public Optional<WalSegment> last(int timeline) {
    NavigableSet<Long> numbers = byTimeline.get(timeline);
    return numbers == null || numbers.isEmpty()
        ? Optional.empty()
        : Optional.of(new WalSegment(timeline, numbers.last()));
  }

  /**
   * The segments replay can read one after another from {@code start}: {@code start} itself, then
   * each next one while the archive holds it. Empty when {@code start} is not archived.
   */
  public Run from(WalSegment start) {
    NavigableSet<Long> numbers = byTimeline.getOrDefault(start.timeline(), new TreeSet<>());
    if (!numbers.contains(start.number())) {
      return new Run(start, null, firstAfter(numbers, start));
    }
    long end = start.number();
    while (numbers.contains(end + 1)) {
      end++;
    }
    return new Run(
        start,
        new WalSegment(start.timeline(), end),
        firstAfter(numbers, new WalSegment(start.timeline(), end)));
  }

  private static WalSegment firstAfter(NavigableSet<Long> numbers, WalSegment segment) {
    Long higher = numbers.higher(segment.number());
    return higher == null ? null : new WalSegment(segment.timeline(), higher);
  }

  /** The holes between {@code from} and the newest archived segment of its timeline. */
  public List<Gap> gaps(WalSegment from) {
    List<Gap> gaps = new ArrayList<>();
    NavigableSet<Long> numbers = byTimeline.getOrDefault(from.timeline(), new TreeSet<>());
    if (numbers.isEmpty() || numbers.last() < from.number()) {
      return gaps;
    }
    long expected = from.number();
    for (long number : numbers.tailSet(from.number(), true)) {
      if (number > expected) {
        gaps.add(
            new Gap(
                new WalSegment(from.timeline(), expected),
                new WalSegment(from.timeline(), number - 1)));
      }
      expected = number + 1;
    }
    return gaps;
  }

  /** The full key of a segment's object. */
  public String key(WalSegment segment) {
    return store.key(WalFileName.parse(segment.name(segmentSize)).relativeKey(source));
  }

  /** A segment's file name. */
  public String name(WalSegment segment) {
    return segment.name(segmentSize);
  }

  /**
   * A contiguous run of archived segments.
   *
   * @param start where it was asked to start
   * @param end the last segment of the run; null when {@code start} is not archived
   * @param resumesAt the first archived segment after the hole that ends the run, or null when
   *     nothing is archived after it (the run reaches the end of the archive)
   */
  public record Run(WalSegment start, WalSegment end, WalSegment resumesAt) {
    /** Whether the run stops at a hole with more WAL archived behind it. */
    public boolean endsAtGap() {
      return resumesAt != null;
    }

    /** The first missing segment: the one after {@code end} (or {@code start} itself). */
    public WalSegment firstMissing() {
      return end == null ? start : end.next();
    }
  }

  /**
   * Missing segments, both ends included.
   *
   * @param first the first missing segment
   * @param last the last missing segment
   */
  public record Gap(WalSegment first, WalSegment last) {
    /** How many segments are missing. */
    public long count() {
      return last.number() - first.number() + 1;
    }
  }
}
