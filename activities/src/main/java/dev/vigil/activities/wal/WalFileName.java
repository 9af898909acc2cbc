package dev.vigil.activities.wal;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A file name PostgreSQL archives or asks back ({@code %f}): a WAL segment ({@code
 * 000000010000000A00000042}), a partial segment left by a promotion ({@code ….partial}), a timeline
 * history file ({@code 00000002.history}) or a backup label ({@code
 * 000000010000000A00000042.00000028.backup}). Nothing else is accepted, so a name can never reach
 * outside its place in the repository ({@code ../}, slashes, other files).
 *
 * @param name the file name as PostgreSQL gives it
 * @param timeline the 8 hex digits of its timeline
 */
public record WalFileName(String name, String timeline) {
  private static final Pattern SEGMENT = Pattern.compile("([0-9A-F]{8})[0-9A-F]{16}");
  private static final Pattern PARTIAL = Pattern.compile("([0-9A-F]{8})[0-9A-F]{16}\\.partial");
  private static final Pattern HISTORY = Pattern.compile("([0-9A-F]{8})\\.history");
  private static final Pattern BACKUP_LABEL =
      Pattern.compile("([0-9A-F]{8})[0-9A-F]{16}\\.[0-9A-F]{8}\\.backup");

  /** The name, or WAL_NAME_INVALID saying what names are accepted. */
  public static WalFileName parse(String name) {
    for (Pattern pattern : new Pattern[] {SEGMENT, PARTIAL, HISTORY, BACKUP_LABEL}) {
      Matcher matcher = pattern.matcher(name);
      if (matcher.matches()) {
        return new WalFileName(name, matcher.group(1));
      }
    }
    throw new VigilException(
        ErrorType.WAL_NAME_INVALID,
        "'"
            + printable(name)
            + "' is not a WAL file name (24 hex digits, optionally .partial; TTTTTTTT.history;"
            + " or a backup label ….backup); give PostgreSQL's %p or %f unchanged");
  }

  /** Whether this is a whole WAL segment (not a history file, label or partial segment). */
  public boolean isSegment() {
    return SEGMENT.matcher(name).matches();
  }

  /**
   * Where it is stored under the repository's prefix: {@code <source>/wal/<timeline>/<name>.vgl}.
   */
  public String relativeKey(String source) {
    return source + "/wal/" + timeline + "/" + name + ".vgl";
  }

  @Override
  public String toString() {
    return name;
  }

  /** The name with control characters shown as '?', so a hostile name cannot forge log lines. */
  private static String printable(String name) {
    String shown = name.length() > 80 ? name.substring(0, 80) + "…" : name;
    return shown.replaceAll("\\p{Cntrl}", "?");
  }
}
