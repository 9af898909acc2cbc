package dev.vigil.activities.notify;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Posts a JSON body to a channel's URL. The URL may carry a token (Slack's do, in the path), so no
 * message ever shows more of it than its host and port.
 */
final class WebhookSender {
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);

  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(CONNECT_TIMEOUT)
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  /**
   * Posts {@code body}; returns normally on a 2xx answer. {@code channel} names the setting in
   * messages ({@code notifications.ops}), {@code reference} where its URL comes from.
   */
  void post(String channel, String reference, String url, String body) {
    URI uri = parse(channel, reference, url);
    String where = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(REQUEST_TIMEOUT)
            .header("Content-Type", "application/json; charset=utf-8")
            .header("User-Agent", "Vigil")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build();
    HttpResponse<Void> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.discarding());
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.NOTIFICATION_FAILED,
          channel
              + ": cannot reach "
              + where
              + " ("
              + e.getClass().getSimpleName()
              + "); retrying");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VigilException(ErrorType.NOTIFICATION_FAILED, channel + ": interrupted");
    }
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      return;
    }
    if (status == 408 || status == 429 || status >= 500) {
      throw new VigilException(
          ErrorType.NOTIFICATION_FAILED,
          channel + ": " + where + " answered HTTP " + status + "; retrying");
    }
    throw new VigilException(
        ErrorType.NOTIFICATION_REJECTED,
        channel
            + ": "
            + where
            + " refused the notification with HTTP "
            + status
            + "; check the URL in "
            + reference);
  }

  private static URI parse(String channel, String reference, String url) {
    try {
      URI uri = new URI(url);
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          && uri.getHost() != null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // Reported below, without the URL.
    }
    throw new VigilException(
        ErrorType.NOTIFICATION_REJECTED,
        channel
            + ": the URL in "
            + reference
            + " is not an http(s) URL such as https://hooks.example.com/vigil");
  }
}
