package dev.vigil.infra.cli;

import dev.vigil.starter.read.RunNotFoundException;
import dev.vigil.starter.read.RunStatus;
import dev.vigil.starter.read.RunStatusReader;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowClient;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * While a command waits for runs: redraws their progress lines on a terminal about once a second
 * and erases them when done, and prints a {@link WaitingLine} whenever a step starts retrying (or
 * retries again, or for another reason). Progress is drawn only when enabled (stderr a terminal, no
 * {@code --json} or {@code --quiet}), so scripts and logs never see control characters; the waiting
 * lines are printed always, as plain lines, so a log says why a run hangs.
 */
final class LiveProgress implements AutoCloseable {
  private static final long POLL_MILLIS = 1000;
  private static final String UP = "\u001b[%dA";
  private static final String CLEAR_DOWN = "\u001b[J";

  private final PrintStream terminal;
  private final PrintStream log;
  private final Thread poller;
  private final Set<String> told = new HashSet<>();
  // A gRPC call may swallow the interrupt; this flag does not get lost.
  private volatile boolean stopped;
  private int drawn;

  /**
   * Looks at {@code runs} every {@code pollMillis}: draws their progress on {@code terminal} (null:
   * none) and prints their waiting lines on {@code log}.
   */
  LiveProgress(
      Supplier<List<RunStatus>> runs, PrintStream terminal, PrintStream log, long pollMillis) {
    this.terminal = terminal;
    this.log = log;
    this.poller = new Thread(() -> poll(runs, pollMillis));
    poller.setName("vigil-progress");
    poller.setDaemon(true);
    poller.start();
  }

  /**
   * Progress of {@code workflowIds} on stderr, drawn if {@code wanted} and stderr is a terminal.
   *
   * @param wanted false for {@code --json} and {@code --quiet}
   */
  static LiveProgress start(WorkflowClient client, List<String> workflowIds, boolean wanted) {
    RunStatusReader reader = new RunStatusReader(client);
    return onStderr(() -> open(reader, workflowIds), wanted);
  }

  /** {@code runs} on stderr: progress drawn if {@code wanted} and stderr is a terminal. */
  static LiveProgress onStderr(Supplier<List<RunStatus>> runs, boolean wanted) {
    boolean terminal = wanted && Terminals.stderrIsTerminal();
    return new LiveProgress(runs, terminal ? System.err : null, System.err, POLL_MILLIS);
  }

  /** Whether {@code --json} or {@code --quiet} asked for no progress display. */
  static boolean wanted(boolean json, boolean quiet) {
    return !json && !quiet;
  }

  /** Every open run among {@code workflowIds}. */
  private static List<RunStatus> open(RunStatusReader reader, List<String> workflowIds) {
    List<RunStatus> open = new ArrayList<>();
    for (String workflowId : workflowIds) {
      try {
        RunStatus status = reader.status(workflowId);
        if (!status.closed()) {
          open.add(status);
        }
      } catch (RunNotFoundException | StatusRuntimeException e) {
        // Not visible yet, or the server is busy: the next poll tries again.
      }
    }
    return open;
  }

  private void poll(Supplier<List<RunStatus>> runs, long pollMillis) {
    while (!stopped) {
      List<RunStatus> statuses = runs.get();
      List<String> frame = new ArrayList<>();
      List<String> waiting = new ArrayList<>();
      for (RunStatus status : statuses) {
        frame.addAll(ProgressRenderer.lines(status));
        for (WaitingLine line : WaitingLine.of(status, Instant.now())) {
          if (told.add(line.about())) {
            waiting.add(line.text());
          }
        }
      }
      if (stopped) {
        return;
      }
      draw(waiting, terminal == null ? List.of() : frame);
      try {
        Thread.sleep(pollMillis);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /**
   * Moves up over the previous frame, clears it, prints the {@code waiting} lines (they stay) and
   * then the {@code frame} (redrawn next time).
   */
  private synchronized void draw(List<String> waiting, List<String> frame) {
    StringBuilder out = new StringBuilder();
    if (terminal != null) {
      if (drawn > 0) {
        out.append(String.format(UP, drawn));
      }
      out.append('\r').append(CLEAR_DOWN);
    }
    for (String line : waiting) {
      out.append(line).append('\n');
    }
    for (String line : frame) {
      out.append(line).append('\n');
    }
    if (out.isEmpty()) {
      return;
    }
    PrintStream to = terminal != null ? terminal : log;
    to.print(out);
    to.flush();
    drawn = frame.size();
  }

  @Override
  public void close() {
    stopped = true;
    poller.interrupt();
    try {
      poller.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (terminal != null) {
      draw(List.of(), List.of());
    }
  }
}
