package dev.vigil.infra.cli;

import dev.vigil.starter.read.RunNotFoundException;
import dev.vigil.starter.read.RunStatus;
import dev.vigil.starter.read.RunStatusReader;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowClient;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Redraws a run's progress lines on a terminal about once a second while a command waits for the
 * run, and erases them when it is done. Does nothing when disabled (stderr not a terminal, {@code
 * --json}, {@code --quiet}), so scripts and logs never see control characters.
 */
final class LiveProgress implements AutoCloseable {
  private static final long POLL_MILLIS = 1000;
  private static final String UP = "\u001b[%dA";
  private static final String CLEAR_DOWN = "\u001b[J";

  private final PrintStream terminal;
  private final Thread poller;
  private int drawn;

  /** Draws {@code frames} on {@code terminal} every {@code pollMillis}; null terminal: nothing. */
  LiveProgress(Supplier<List<String>> frames, PrintStream terminal, long pollMillis) {
    this.terminal = terminal;
    this.poller = terminal == null ? null : new Thread(() -> poll(frames, pollMillis));
    if (poller != null) {
      poller.setName("vigil-progress");
      poller.setDaemon(true);
      poller.start();
    }
  }

  /**
   * Progress of {@code workflowIds} on stderr, if {@code wanted} and stderr is a terminal.
   *
   * @param wanted false for {@code --json} and {@code --quiet}
   */
  static LiveProgress start(WorkflowClient client, List<String> workflowIds, boolean wanted) {
    boolean terminal = wanted && System.console() != null;
    RunStatusReader reader = new RunStatusReader(client);
    return new LiveProgress(
        () -> frame(reader, workflowIds), terminal ? System.err : null, POLL_MILLIS);
  }

  /** Whether {@code --json} or {@code --quiet} asked for no progress display. */
  static boolean wanted(boolean json, boolean quiet) {
    return !json && !quiet;
  }

  /** The lines of every open run among {@code workflowIds}. */
  private static List<String> frame(RunStatusReader reader, List<String> workflowIds) {
    List<String> lines = new ArrayList<>();
    for (String workflowId : workflowIds) {
      try {
        RunStatus status = reader.status(workflowId);
        if (!status.closed()) {
          lines.addAll(ProgressRenderer.lines(status));
        }
      } catch (RunNotFoundException | StatusRuntimeException e) {
        // Not visible yet, or the server is busy: the next poll tries again.
      }
    }
    return lines;
  }

  private void poll(Supplier<List<String>> frames, long pollMillis) {
    while (!Thread.currentThread().isInterrupted()) {
      draw(frames.get());
      try {
        Thread.sleep(pollMillis);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Moves up over the previous frame, clears it, and prints {@code lines}. */
  private synchronized void draw(List<String> lines) {
    StringBuilder frame = new StringBuilder();
    if (drawn > 0) {
      frame.append(String.format(UP, drawn));
    }
    frame.append('\r').append(CLEAR_DOWN);
    for (String line : lines) {
      frame.append(line).append('\n');
    }
    terminal.print(frame);
    terminal.flush();
    drawn = lines.size();
  }

  @Override
  public void close() {
    if (poller == null) {
      return;
    }
    poller.interrupt();
    try {
      poller.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    draw(List.of());
  }
}
