package dev.vigil.activities.config;

import java.util.ArrayList;
import java.util.List;

/** Collects problems as {@code file: path: message} lines. */
final class ConfigProblems {
  private final String file;
  final List<String> lines = new ArrayList<>();

  ConfigProblems(String file) {
    this.file = file;
  }

  void add(String path, String message) {
    lines.add(file + ": " + (path.isEmpty() ? "" : path + ": ") + message);
  }
}
