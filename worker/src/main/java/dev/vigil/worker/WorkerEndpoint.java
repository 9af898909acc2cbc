package dev.vigil.worker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The worker's small HTTP endpoint, for Prometheus and Kubernetes probes: {@code /metrics}, {@code
 * /health/live} (200 while the process runs) and {@code /health/ready} (200 once the worker polls,
 * 503 with a one-line JSON reason until then and while it stops). GET and HEAD only.
 */
public final class WorkerEndpoint implements AutoCloseable {
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final String JSON = "application/json";

  private final HttpServer server;
  private final ExecutorService executor;

  private WorkerEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Listens on {@code bind:port}; {@code metrics} renders the scrape, {@code readiness} the
   * worker's state. Fails with a message naming the address if it is taken.
   */
  public static WorkerEndpoint start(
      String bind, int port, Supplier<String> metrics, Readiness readiness) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(bind, port), 16);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "metrics endpoint: cannot listen on "
              + bind
              + ":"
              + port
              + " ("
              + e.getMessage()
              + "); free the port or set metrics.port in vigil.yaml (0 turns the endpoint off)",
          e);
    }
    server.createContext(
        "/metrics", exchange -> respond(exchange, 200, PROMETHEUS_TEXT, metrics.get()));
    server.createContext(
        "/health/live", exchange -> respond(exchange, 200, JSON, "{\"status\":\"live\"}"));
    server.createContext(
        "/health/ready",
        exchange -> {
          String reason = readiness.notReadyReason();
          if (reason == null) {
            respond(exchange, 200, JSON, "{\"status\":\"ready\"}");
          } else {
            respond(
                exchange,
                503,
                JSON,
                "{\"status\":\"not ready\",\"reason\":\"" + jsonEscape(reason) + "\"}");
          }
        });
    // Two threads: a scrape never waits behind a probe for long, and the endpoint stays light.
    ExecutorService executor =
        Executors.newFixedThreadPool(
            2,
            task -> {
              Thread thread = new Thread(task, "vigil-metrics-endpoint");
              thread.setDaemon(true);
              return thread;
            });
    server.setExecutor(executor);
    server.start();
    return new WorkerEndpoint(server, executor);
  }

  /** The port it listens on (the configured one, or the one picked for port 0 in tests). */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      boolean exact =
          exchange.getRequestURI().getPath().equals(exchange.getHttpContext().getPath());
      if (!exact) {
        send(exchange, 404, JSON, "{\"error\":\"not found\"}", true);
      } else if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        send(exchange, 405, JSON, "{\"error\":\"use GET\"}", true);
      } else {
        send(exchange, status, type, body, method.equals("GET"));
      }
    }
  }

  private static void send(
      HttpExchange exchange, int status, String type, String body, boolean withBody)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, withBody ? bytes.length : -1);
    if (withBody) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static String jsonEscape(String text) {
    StringBuilder escaped = new StringBuilder();
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> escaped.append("\\\"");
        case '\\' -> escaped.append("\\\\");
        default -> {
          if (c < 0x20) {
            escaped.append(String.format("\\u%04x", (int) c));
          } else {
            escaped.append(c);
          }
        }
      }
    }
    return escaped.toString();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
