package dev.vigil.activities.source.mongo;

import com.mongodb.AuthenticationMechanism;
import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoCredential;
import com.mongodb.MongoException;
import com.mongodb.MongoSecurityException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Opens MongoDB clients for a source or a restore target, and turns the driver's failures into one
 * line naming the source and its hosts. The password reaches the driver as a credential object,
 * never inside a connection string that a message could print.
 */
public final class MongoConnections {
  private static final int UNAUTHORIZED = 13;

  private final Duration serverSelection;

  /** Gives a server 10 seconds to answer before the source counts as unreachable. */
  public MongoConnections() {
    this(Duration.ofSeconds(10));
  }

  public MongoConnections(Duration serverSelection) {
    this.serverSelection = serverSelection;
  }

  /**
   * A client for {@code uri} (which holds no password) as {@code user} with {@code password}; user
   * null connects without credentials. Nothing is sent until the first operation.
   */
  public MongoClient open(String uri, String user, String password) {
    ConnectionString connection = new ConnectionString(uri);
    MongoClientSettings.Builder settings =
        MongoClientSettings.builder()
            .applyConnectionString(connection)
            .applicationName("vigil")
            .applyToClusterSettings(
                cluster ->
                    cluster.serverSelectionTimeout(
                        serverSelection.toMillis(), TimeUnit.MILLISECONDS))
            .applyToSocketSettings(
                socket ->
                    socket.connectTimeout(
                        (int) Math.min(serverSelection.toMillis(), 10_000), TimeUnit.MILLISECONDS));
    if (user != null) {
      settings.credential(credential(uri, user, password == null ? "" : password));
    }
    return MongoClients.create(settings.build());
  }

  /** {@code host:port} of every host in {@code uri}, for messages. */
  public static String hosts(String uri) {
    try {
      ConnectionString connection = new ConnectionString(uri);
      return connection.getHosts().stream()
          .map(host -> host.contains(":") || connection.isSrvProtocol() ? host : host + ":27017")
          .collect(Collectors.joining(","));
    } catch (IllegalArgumentException e) {
      return "(unparsable uri)";
    }
  }

  /**
   * The driver's failure as one line: {@code what} names the source or target, e.g. {@code source
   * 'docs'}, and {@code fallback} is the type of a failure that is neither reachability nor
   * authentication (DUMP_FAILED, RESTORE_FAILED).
   */
  public static VigilException translate(
      MongoException error, String what, String uri, String user, ErrorType fallback) {
    String at = "MongoDB at " + hosts(uri);
    if (error instanceof MongoSecurityException) {
      return new VigilException(
          ErrorType.AUTHENTICATION_FAILED,
          what
              + ": "
              + at
              + " refused user '"
              + user
              + "' (authentication failed); check the user, its password and the uri's"
              + " authSource",
          error);
    }
    if (error instanceof MongoTimeoutException || error instanceof MongoSocketException) {
      return new VigilException(
          ErrorType.SOURCE_UNREACHABLE,
          what + ": cannot reach " + at + "; check that mongod runs there and the uri is right",
          error);
    }
    if (error instanceof MongoCommandException command) {
      if (command.getErrorCode() == UNAUTHORIZED) {
        return new VigilException(
            ErrorType.DATABASE_PERMISSION_DENIED,
            what
                + ": "
                + at
                + " denied user '"
                + user
                + "': "
                + command.getErrorMessage()
                + "; grant it the backup (or restore) role",
            error);
      }
      return new VigilException(
          fallback,
          what
              + ": "
              + at
              + " failed a command ("
              + command.getErrorCodeName()
              + "): "
              + command.getErrorMessage(),
          error);
    }
    return new VigilException(fallback, what + ": " + at + ": " + firstLine(error), error);
  }

  private static String firstLine(Throwable error) {
    String message = String.valueOf(error.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  /**
   * The credential for {@code user}, keeping the mechanism and authSource the uri names (read by
   * parsing the uri with the user and a placeholder added, never the password).
   */
  private static MongoCredential credential(String uri, String user, String password) {
    int scheme = uri.indexOf("://");
    String withUser =
        uri.substring(0, scheme + 3)
            + java.net.URLEncoder.encode(user, java.nio.charset.StandardCharsets.UTF_8)
                .replace("+", "%20")
            + ":placeholder@"
            + uri.substring(scheme + 3);
    MongoCredential named = new ConnectionString(withUser).getCredential();
    String source = named == null ? "admin" : named.getSource();
    AuthenticationMechanism mechanism = named == null ? null : named.getAuthenticationMechanism();
    char[] secret = password.toCharArray();
    if (mechanism == null) {
      return MongoCredential.createCredential(user, source, secret);
    }
    return switch (mechanism) {
      case SCRAM_SHA_1 -> MongoCredential.createScramSha1Credential(user, source, secret);
      case SCRAM_SHA_256 -> MongoCredential.createScramSha256Credential(user, source, secret);
      case PLAIN -> MongoCredential.createPlainCredential(user, source, secret);
      default -> MongoCredential.createCredential(user, source, secret);
    };
  }
}
