package dev.vigil.infra.embedded;

import dev.vigil.activities.embedded.FreePorts;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Temporal's own Java test server, served over gRPC on 127.0.0.1 only. It runs workflows,
 * activities, heartbeats, retries and timers in real time, but has no Schedules API, no visibility
 * queries, no web UI and no persistence: a restart loses every run.
 *
 * <p>Uses the test server's internal starter to bind loopback only (the public {@code TestServer}
 * binds every interface); the temporal version is pinned in the parent POM for that reason.
 */
public final class EmbeddedTemporal implements AutoCloseable {
  private final TestServicesStarter services;
  private final Server server;
  private final int port;

  private EmbeddedTemporal(TestServicesStarter services, Server server, int port) {
    this.services = services;
    this.server = server;
    this.port = port;
  }

  /** Starts the server on a free loopback port, in real time (no time skipping). */
  public static EmbeddedTemporal start() {
    int port = FreePorts.find();
    // lockTimeSkipping=true: time passes as on a real server; nothing jumps ahead.
    TestServicesStarter services = new TestServicesStarter(true, 0);
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(
            new InetSocketAddress("127.0.0.1", port), InsecureServerCredentials.create());
    GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
    try {
      return new EmbeddedTemporal(services, builder.build().start(), port);
    } catch (IOException e) {
      services.close();
      throw new UncheckedIOException("cannot start the Temporal test server on port " + port, e);
    }
  }

  /** {@code 127.0.0.1:<port>}, for {@code temporal.target}. */
  public String target() {
    return "127.0.0.1:" + port;
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    services.close();
  }
}
