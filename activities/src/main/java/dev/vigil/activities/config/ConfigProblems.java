package dev.vigil.activities.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Collects problems as one line each, naming the file, the field path and the line it is on: {@code
 * vigil.yaml: sources.appdb.port at line 12: expected ...}. A field that is missing is placed under
 * the nearest enclosing field that has a line.
 */
final class ConfigProblems {
  private final String file;
  private final Map<String, Integer> lineOf;
  final List<String> lines = new ArrayList<>();

  ConfigProblems(String file, Map<String, Integer> lineOf) {
    this.file = file;
    this.lineOf = lineOf;
  }

  /** A problem at a known line, e.g. the second of two equal keys (the first owns the path). */
  void add(String path, int line, String message) {
    lines.add(file + ": " + path + " at line " + line + ": " + message);
  }

  void add(String path, String message) {
    if (path.isEmpty()) {
      lines.add(file + ": " + message);
      return;
    }
    Integer line = lineOf.get(path);
    if (line != null) {
      lines.add(file + ": " + path + " at line " + line + ": " + message);
      return;
    }
    String parent = parent(path);
    while (!parent.isEmpty() && !lineOf.containsKey(parent)) {
      parent = parent(parent);
    }
    String where =
        parent.isEmpty() ? "" : " (in " + parent + " at line " + lineOf.get(parent) + ")";
    lines.add(file + ": " + path + ": " + message + where);
  }

  private static String parent(String path) {
    int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
    return cut < 0 ? "" : path.substring(0, cut);
  }
}
