package dev.vigil.workflows.connection;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.net.ssl.SSLException;

/**
 * The one place Vigil builds its Temporal service stubs (worker, every CLI verb, the HTTP API):
 * target, TLS or mutual TLS, API key. Problems with the configured material are found before
 * connecting, and TLS or authentication failures of a connection are told as one line naming the
 * setting to fix.
 */
public final class TemporalStubs {
  private TemporalStubs() {}

  /**
   * Every problem of {@code access} that can be seen without connecting, one line each, starting
   * with the setting: files exist, PEM parses, certificates are valid now, the key matches the
   * certificate, the API key is there.
   */
  public static List<String> problems(
      TemporalAccess access, Function<String, String> environment, Instant now) {
    List<String> problems = new ArrayList<>();
    if (access.effectiveTls() != null) {
      problems.addAll(TlsMaterial.read(access.effectiveTls(), environment, now).problems);
    }
    apiKey(access, environment, problems);
    return problems;
  }

  /**
   * Service stubs for {@code access} (connecting lazily); {@code options} adds to the options
   * (metrics scope, ...). Throws {@link TemporalAccessException} with the first problem of {@link
   * #problems}.
   */
  public static WorkflowServiceStubs open(
      TemporalAccess access,
      Function<String, String> environment,
      Consumer<WorkflowServiceStubsOptions.Builder> options) {
    List<String> problems = new ArrayList<>();
    WorkflowServiceStubsOptions.Builder builder =
        WorkflowServiceStubsOptions.newBuilder().setTarget(access.target());
    TemporalTls tls = access.effectiveTls();
    if (tls != null) {
      TlsMaterial material = TlsMaterial.read(tls, environment, Instant.now());
      problems.addAll(material.problems);
      if (problems.isEmpty()) {
        builder.setSslContext(sslContext(material));
      }
      if (tls.serverName() != null) {
        builder.setChannelInitializer(channel -> channel.overrideAuthority(tls.serverName()));
      }
    }
    String key = apiKey(access, environment, problems);
    if (!problems.isEmpty()) {
      throw new TemporalAccessException(problems.get(0));
    }
    if (key != null) {
      builder.addApiKey(() -> key);
    }
    options.accept(builder);
    return WorkflowServiceStubs.newServiceStubs(builder.build());
  }

  /** {@link #open} without further options. */
  public static WorkflowServiceStubs open(
      TemporalAccess access, Function<String, String> environment) {
    return open(access, environment, builder -> {});
  }

  /**
   * {@link #open}, then {@link #check}: stubs whose TLS and API key the server accepted (a server
   * that is down is left to the caller). Throws {@link TemporalAccessException} with the line of
   * either, the stubs shut down.
   */
  public static WorkflowServiceStubs connect(
      TemporalAccess access,
      Function<String, String> environment,
      Consumer<WorkflowServiceStubsOptions.Builder> options) {
    WorkflowServiceStubs stubs = open(access, environment, options);
    try {
      check(stubs, access);
    } catch (TemporalAccessException e) {
      stubs.shutdownNow();
      throw e;
    }
    return stubs;
  }

  /**
   * Operator-service stubs over {@code stubs}' channel that send what its calls send (the API key,
   * headers, interceptors): the raw channel alone carries none of them. Shut them down after use;
   * the channel stays open.
   */
  public static OperatorServiceStubs operator(WorkflowServiceStubs stubs) {
    WorkflowServiceStubsOptions options = stubs.getOptions();
    OperatorServiceStubsOptions.Builder builder =
        OperatorServiceStubsOptions.newBuilder()
            .setChannel(stubs.getRawChannel())
            .setGrpcMetadataProviders(options.getGrpcMetadataProviders())
            .setGrpcClientInterceptors(options.getGrpcClientInterceptors());
    if (options.getHeaders() != null) {
      builder.setHeaders(options.getHeaders());
    }
    return OperatorServiceStubs.newServiceStubs(builder.validateAndBuildWithDefaults());
  }

  /**
   * Asks the server for its health once: a TLS or API key failure throws {@link
   * TemporalAccessException} with {@link #explain}'s line; a server that is down or busy is left to
   * the caller's usual handling (retries, "Temporal is unreachable").
   */
  public static void check(WorkflowServiceStubs stubs, TemporalAccess access) {
    try {
      stubs.healthCheck();
    } catch (RuntimeException e) {
      String explained = explain(e, access);
      if (explained != null) {
        throw new TemporalAccessException(explained);
      }
    }
  }

  /**
   * One line naming the setting to fix when {@code failure} is a TLS handshake or API key failure
   * of the connection to {@code access}; null for anything else (a server that is down, a refused
   * request).
   */
  public static String explain(Throwable failure, TemporalAccess access) {
    String at = "Temporal at " + access.target();
    TemporalTls tls = access.effectiveTls();
    boolean handshake = false;
    // The TLS engine (OpenSSL or the JDK's) wraps the reason, so the whole chain is looked at.
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof StatusRuntimeException status
          && status.getStatus().getCode() == Status.Code.UNAUTHENTICATED) {
        return access.apiKey() != null
            ? "temporal.api-key: "
                + at
                + " refused the API key from "
                + access.apiKey().describe()
                + " (UNAUTHENTICATED); check the key, its expiry and its namespace access"
            : "temporal.api-key: "
                + at
                + " requires authentication (UNAUTHENTICATED); set temporal.api-key-env or"
                + " temporal.api-key-file, or a client certificate under temporal.tls";
      }
      if (cause instanceof CertPathBuilderException
          || cause instanceof CertPathValidatorException) {
        return untrustedServer(at, tls);
      }
      String message = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
      if (message.contains("no subject alternative") || message.contains("no name matching")) {
        return "temporal.tls.server-name: the certificate of "
            + at
            + " does not name "
            + (tls != null && tls.serverName() != null ? tls.serverName() : host(access.target()))
            + "; set temporal.tls.server-name to a name the certificate holds";
      }
      if (message.contains("pkix") || message.contains("certification path")) {
        return untrustedServer(at, tls);
      }
      if (cause instanceof SSLException) {
        if (message.contains("not an ssl/tls record")) {
          return "temporal.tls: "
              + at
              + " does not answer TLS; remove temporal.tls or use its TLS port";
        }
        String alert = alert(message);
        if (alert != null) {
          return refusedClient(at, tls, alert);
        }
        handshake = true;
      }
    }
    return !handshake
        ? null
        : "temporal.tls: the TLS handshake with "
            + at
            + " failed; check temporal.tls.server-ca, client-cert and client-key against the"
            + " server's TLS settings";
  }

  private static String host(String target) {
    int colon = target.lastIndexOf(':');
    return colon > 0 ? target.substring(0, colon) : target;
  }

  private static String refusedClient(String at, TemporalTls tls, String alert) {
    return tls != null && tls.clientCert() != null
        ? "temporal.tls.client-cert: "
            + at
            + " refused the client certificate from "
            + tls.clientCert().describe()
            + " (TLS alert "
            + alert
            + "); use a certificate issued by the CA the server trusts for clients"
        : "temporal.tls.client-cert: "
            + at
            + " requires a client certificate (mutual TLS, TLS alert "
            + alert
            + "); set temporal.tls.client-cert and temporal.tls.client-key";
  }

  private static String untrustedServer(String at, TemporalTls tls) {
    return "temporal.tls.server-ca: the certificate of "
        + at
        + " is not issued by "
        + (tls != null && tls.serverCa() != null
            ? "the CA in " + tls.serverCa().describe()
            : "a CA this JVM trusts")
        + "; set temporal.tls.server-ca to the CA that issued the server's certificate";
  }

  /** The alert a server sends when it refuses the client's certificate (or its absence). */
  private static String alert(String message) {
    for (String alert :
        List.of(
            "certificate_required",
            "bad_certificate",
            "certificate_unknown",
            "unknown_ca",
            "certificate_expired",
            "certificate_revoked",
            "handshake_failure")) {
      if (message.contains(alert)) {
        return alert;
      }
    }
    return null;
  }

  private static String apiKey(
      TemporalAccess access, Function<String, String> environment, List<String> problems) {
    if (access.apiKey() == null) {
      return null;
    }
    String text = TlsMaterial.text(access.apiKey(), environment, problems);
    if (text == null) {
      return null;
    }
    String key = text.strip();
    if (key.isEmpty() || key.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
      problems.add(
          access.apiKey().setting()
              + ": "
              + access.apiKey().describe()
              + " does not hold one API key (printable characters on one line)");
      return null;
    }
    return key;
  }

  private static SslContext sslContext(TlsMaterial material) {
    try {
      SslContextBuilder builder = GrpcSslContexts.forClient();
      if (!material.serverCa.isEmpty()) {
        builder.trustManager(material.serverCa.toArray(new X509Certificate[0]));
      }
      if (material.clientKey != null) {
        builder.keyManager(
            material.clientKey, material.clientChain.toArray(new X509Certificate[0]));
      }
      return builder.build();
    } catch (SSLException e) {
      throw new TemporalAccessException("temporal.tls: cannot set up TLS: " + e.getMessage());
    }
  }
}
