package dev.vigil.infra.cli;

import dev.vigil.activities.embedded.FreePorts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Temporal's Java test server behind two real TLS listeners on loopback, with certificates made by
 * openssl for this run only: a mutual TLS listener that requires a client certificate issued by
 * {@link #clientCa}, and a TLS listener that requires {@code Authorization: Bearer <API_KEY>} (as
 * Temporal Cloud does). Both serve the same server, so a worker on one and a CLI on the other share
 * runs. The server's certificate names only {@link #SERVER_NAME}, not 127.0.0.1.
 */
final class TlsTemporal implements AutoCloseable {
  static final String SERVER_NAME = "temporal.vigil.test";
  static final String API_KEY = "vk-test-5f1d0c9e7a3b4c2d8e6f";

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  final Path dir;
  final Path serverCa;
  final Path clientCa;
  final Path otherCa;
  final Path clientCert;
  final Path clientKey;
  final Path expiredCert;
  final Path expiredKey;
  final int mutualPort;
  final int apiKeyPort;

  /** Calls the API key listener let through: each carried the right bearer key. */
  final AtomicInteger authorizedCalls = new AtomicInteger();

  /** Calls the API key listener refused (no or a wrong key). */
  final AtomicInteger refusedCalls = new AtomicInteger();

  private final TestServicesStarter services;
  private final List<Server> servers = new ArrayList<>();

  TlsTemporal(Path dir) throws IOException, InterruptedException {
    this.dir = Files.createDirectories(dir);
    serverCa = ca("server-ca");
    clientCa = ca("client-ca");
    otherCa = ca("other-ca");
    Path serverKey = dir.resolve("server.key");
    Path serverCert =
        issue("server", SERVER_NAME, serverCa, "2", "subjectAltName=DNS:" + SERVER_NAME);
    clientCert = issue("client", "vigil-worker", clientCa, "2", "extendedKeyUsage=clientAuth");
    clientKey = dir.resolve("client.key");
    expiredCert = issue("expired", "vigil-old", clientCa, "-1", "extendedKeyUsage=clientAuth");
    expiredKey = dir.resolve("expired.key");
    services = new TestServicesStarter(true, 0);
    mutualPort = FreePorts.find();
    start(
        mutualPort,
        TlsServerCredentials.newBuilder()
            .keyManager(serverCert.toFile(), serverKey.toFile())
            .trustManager(clientCa.toFile())
            .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
            .build(),
        null);
    apiKeyPort = FreePorts.find();
    start(
        apiKeyPort,
        TlsServerCredentials.newBuilder()
            .keyManager(serverCert.toFile(), serverKey.toFile())
            .build(),
        new BearerKeyRequired());
  }

  private void start(int port, io.grpc.ServerCredentials credentials, ServerInterceptor check)
      throws IOException {
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port), credentials);
    if (check != null) {
      builder.intercept(check);
    }
    GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
    servers.add(builder.build().start());
  }

  /** A self-signed CA: {@code <name>.pem} and {@code <name>.key}. */
  private Path ca(String name) throws IOException, InterruptedException {
    openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        name + ".key",
        "-out",
        name + ".pem",
        "-subj",
        "/CN=" + name,
        "-days",
        "2");
    return dir.resolve(name + ".pem");
  }

  /** A certificate for {@code cn} issued by {@code ca}, valid for {@code days} (-1: expired). */
  private Path issue(String name, String cn, Path ca, String days, String extension)
      throws IOException, InterruptedException {
    Files.writeString(dir.resolve(name + ".ext"), extension + "\n");
    openssl(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        name + ".key",
        "-out",
        name + ".csr",
        "-subj",
        "/CN=" + cn);
    String caName = ca.getFileName().toString().replace(".pem", "");
    openssl(
        "x509",
        "-req",
        "-in",
        name + ".csr",
        "-CA",
        caName + ".pem",
        "-CAkey",
        caName + ".key",
        "-days",
        days,
        "-extfile",
        name + ".ext",
        "-out",
        name + ".pem");
    return dir.resolve(name + ".pem");
  }

  private void openssl(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("/usr/bin/openssl"));
    command.addAll(List.of(args));
    Process process =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IOException("openssl " + String.join(" ", args) + " failed: " + output);
    }
  }

  /** Refuses every call without {@code Authorization: Bearer API_KEY}, as UNAUTHENTICATED. */
  private final class BearerKeyRequired implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      if (("Bearer " + API_KEY).equals(headers.get(AUTHORIZATION))) {
        authorizedCalls.incrementAndGet();
        return next.startCall(call, headers);
      }
      refusedCalls.incrementAndGet();
      call.close(Status.UNAUTHENTICATED.withDescription("no valid API key"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
  }

  @Override
  public void close() {
    for (Server server : servers) {
      server.shutdownNow();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    services.close();
  }
}
