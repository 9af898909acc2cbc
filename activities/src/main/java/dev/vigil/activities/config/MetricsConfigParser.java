package dev.vigil.activities.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** Parses the top-level {@code metrics:} section: {@code port} and {@code bind}. */
final class MetricsConfigParser {
  // Literal addresses only: a host name would make the bind address depend on DNS at startup.
  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*");

  private MetricsConfigParser() {}

  static MetricsConfig parse(ConfigNode metrics) {
    metrics.allow("port", "bind");
    if (metrics.missing()) {
      return MetricsConfig.DEFAULT;
    }
    int port = metrics.integer("port", MetricsConfig.DEFAULT_PORT, 0, 65535);
    String bind = metrics.text("bind", MetricsConfig.DEFAULT_BIND).trim();
    if (!validAddress(bind)) {
      metrics.problem(
          "bind",
          "expected an IP address such as 127.0.0.1 (this host only) or 0.0.0.0 (every"
              + " interface), got \""
              + bind
              + "\"");
      bind = MetricsConfig.DEFAULT_BIND;
    }
    return new MetricsConfig(bind, port);
  }

  private static boolean validAddress(String bind) {
    if (!IP_LITERAL.matcher(bind).matches()) {
      return false;
    }
    try {
      // A literal is parsed without a lookup.
      InetAddress.getByName(bind);
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
