package dev.vigil.activities.source.redis;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads {@code INFO keyspace}: {@code db0:keys=1,expires=0,avg_ttl=0} per non-empty database. */
public final class Keyspace {
  private static final Pattern DB =
      Pattern.compile("^db(\\d+):keys=(\\d+),expires=(\\d+)", Pattern.MULTILINE);

  private Keyspace() {}

  /** Keys per database number (databases without keys are absent), in database order. */
  public static Map<Integer, DbKeys> parse(String info) {
    Map<Integer, DbKeys> dbs = new TreeMap<>();
    Matcher matcher = DB.matcher(info.replace("\r", ""));
    while (matcher.find()) {
      dbs.put(
          Integer.parseInt(matcher.group(1)),
          new DbKeys(Long.parseLong(matcher.group(2)), Long.parseLong(matcher.group(3))));
    }
    return dbs;
  }

  /** The keys of every database together. */
  public static long total(Map<Integer, DbKeys> dbs) {
    return dbs.values().stream().mapToLong(DbKeys::keys).sum();
  }
}
