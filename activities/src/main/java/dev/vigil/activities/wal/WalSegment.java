package dev.vigil.activities.wal;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One WAL segment as a number: its timeline and its segment number ({@code LSN / segment size}),
 * which is how PostgreSQL orders segments and how a gap in the archive is found. A segment's name
 * is {@code TTTTTTTT} (timeline), then the segment number split into the high 32 bits of the LSN
 * ({@code XXXXXXXX}) and the segment within them ({@code YYYYYYYY}); with the default 16 MiB
 * segments the last one is {@code 000000FF}.
 *
 * @param timeline the timeline, 1 or more
 * @param number the segment number on it
 */
public record WalSegment(int timeline, long number) implements Comparable<WalSegment> {
  /** PostgreSQL's default segment size ({@code initdb --wal-segsize} changes it). */
  public static final long DEFAULT_SIZE = 16L * 1024 * 1024;

  private static final Pattern NAME = Pattern.compile("([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})");
  private static final Pattern LSN = Pattern.compile("([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})");

  /** The segment a 24-hex-digit name stands for, or empty for any other name. */
  public static Optional<WalSegment> parse(String name, long segmentSize) {
    Matcher matcher = NAME.matcher(name);
    if (!matcher.matches()) {
      return Optional.empty();
    }
    long high = Long.parseLong(matcher.group(2), 16);
    long low = Long.parseLong(matcher.group(3), 16);
    long perHigh = segmentsPerHigh(segmentSize);
    if (low >= perHigh) {
      return Optional.empty();
    }
    return Optional.of(
        new WalSegment((int) Long.parseLong(matcher.group(1), 16), high * perHigh + low));
  }

  /** The segment on {@code timeline} that holds {@code lsn} ({@code X/Y}, as PostgreSQL shows). */
  public static WalSegment containing(int timeline, String lsn, long segmentSize) {
    return new WalSegment(timeline, Long.divideUnsigned(lsn(lsn), segmentSize));
  }

  /** An LSN ({@code 0/3000028}) as a number; INVALID_CONFIG for anything else. */
  public static long lsn(String text) {
    Matcher matcher = LSN.matcher(text == null ? "" : text.strip());
    if (!matcher.matches()) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "'" + text + "' is not an LSN; give it as PostgreSQL shows one, e.g. 0/3000028");
    }
    return (Long.parseLong(matcher.group(1), 16) << 32) | Long.parseLong(matcher.group(2), 16);
  }

  /** An LSN number as PostgreSQL shows it ({@code 0/3000028}). */
  public static String lsnText(long lsn) {
    return String.format(Locale.ROOT, "%X/%X", lsn >>> 32, lsn & 0xFFFFFFFFL);
  }

  /** The segment's file name for {@code segmentSize}. */
  public String name(long segmentSize) {
    long perHigh = segmentsPerHigh(segmentSize);
    return String.format(Locale.ROOT, "%08X%08X%08X", timeline, number / perHigh, number % perHigh);
  }

  /** The next segment on the same timeline. */
  public WalSegment next() {
    return new WalSegment(timeline, number + 1);
  }

  /** The first LSN the segment holds. */
  public long startLsn(long segmentSize) {
    return number * segmentSize;
  }

  @Override
  public int compareTo(WalSegment other) {
    int byTimeline = Integer.compare(timeline, other.timeline);
    return byTimeline != 0 ? byTimeline : Long.compare(number, other.number);
  }

  private static long segmentsPerHigh(long segmentSize) {
    if (segmentSize <= 0 || Long.bitCount(segmentSize) != 1 || segmentSize > (1L << 30)) {
      throw new IllegalArgumentException("WAL segment size " + segmentSize);
    }
    return 0x1_0000_0000L / segmentSize;
  }
}
