package dev.vigil.activities.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Finds TCP ports on the loopback interface that nothing listens on, for embedded servers. */
public final class FreePorts {

  private FreePorts() {}

  /**
   * A port that was free on 127.0.0.1 a moment ago. The socket is closed before returning, so
   * another process may take the port in between; callers that bind it soon after rarely lose.
   */
  public static int find() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free TCP port on 127.0.0.1", e);
    }
  }
}
