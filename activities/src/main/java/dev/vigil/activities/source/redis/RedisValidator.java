package dev.vigil.activities.source.redis;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.ValidationConfig;
import dev.vigil.workflows.restore.ValidationResult;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a restored Redis server against what its backup recorded. Both sides come from the same
 * RDB loaded by the same kind of server, so the counts are exact: a database without keys that have
 * a time to live must hold exactly the recorded keys; in one with such keys, those may have expired
 * between the backup and the restore (a loading master drops them), so it must hold between {@code
 * keys - expires} and {@code keys}; and every key of the file must be accounted for (loaded or
 * dropped as expired). Then the source's configured checks: a read command whose integer reply is
 * compared ({@code EXISTS config:flags} {@code = 1}), on database 0 or {@code dbN: ...}.
 */
public final class RedisValidator {
  private static final Pattern ON_DB = Pattern.compile("^db(\\d+):\\s*(.+)$");

  /**
   * @param loaded keys the restored server loaded, from its log
   * @param expiredAtLoad keys it dropped as expired, from its log
   */
  public ValidationResult validate(
      RedisCli server,
      long loaded,
      long expiredAtLoad,
      RedisSnapshotInfo recorded,
      List<ValidationConfig> checks) {
    List<String> passed = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    Map<Integer, DbKeys> restored = Keyspace.parse(server.run("INFO", "keyspace"));
    TreeSet<Integer> dbs = new TreeSet<>(recorded.keys().keySet());
    dbs.addAll(restored.keySet());
    for (int db : dbs) {
      DbKeys expected = recorded.keys().getOrDefault(db, new DbKeys(0, 0));
      long actual = restored.getOrDefault(db, new DbKeys(0, 0)).keys();
      long lowest = expected.keys() - expected.expires();
      if (actual == expected.keys()) {
        passed.add("db" + db + ": " + actual + " keys as recorded");
      } else if (actual >= lowest && actual < expected.keys()) {
        passed.add(
            "db"
                + db
                + ": "
                + actual
                + " keys of "
                + expected.keys()
                + " recorded ("
                + (expected.keys() - actual)
                + " with a time to live expired since)");
      } else {
        failures.add(
            "db"
                + db
                + ": "
                + actual
                + " keys, but the backup recorded "
                + expected.keys()
                + (expected.expires() > 0
                    ? " (at least " + lowest + " without a time to live)"
                    : ""));
      }
    }
    if (loaded >= 0) {
      if (loaded + expiredAtLoad == recorded.keysInFile()) {
        passed.add(
            "all "
                + recorded.keysInFile()
                + " keys of the RDB accounted for ("
                + loaded
                + " loaded, "
                + expiredAtLoad
                + " expired)");
      } else {
        failures.add(
            "the server loaded "
                + loaded
                + " keys and dropped "
                + expiredAtLoad
                + " as expired, but the RDB holds "
                + recorded.keysInFile());
      }
    }
    for (ValidationConfig check : checks) {
      runCheck(server, check, passed, failures);
    }
    return new ValidationResult(failures.isEmpty(), passed, failures);
  }

  private static void runCheck(
      RedisCli server, ValidationConfig check, List<String> passed, List<String> failures) {
    Matcher onDb = ON_DB.matcher(check.query().strip());
    int db = onDb.matches() ? Integer.parseInt(onDb.group(1)) : 0;
    String command = onDb.matches() ? onDb.group(2) : check.query().strip();
    String reply;
    try {
      reply = server.run(db, command.split("\\s+")).strip();
    } catch (VigilException e) {
      failures.add(check.name() + ": " + e.getMessage());
      return;
    }
    BigDecimal value;
    try {
      value = new BigDecimal(reply);
    } catch (NumberFormatException e) {
      failures.add(
          check.name()
              + ": "
              + command
              + " answered \""
              + (reply.length() > 80 ? reply.substring(0, 80) + "…" : reply)
              + "\", not a number");
      return;
    }
    String line =
        check.name() + ": " + command + " = " + value + " (expected " + check.expect() + ")";
    if (check.accepts(value)) {
      passed.add(line);
    } else {
      failures.add(line);
    }
  }
}
