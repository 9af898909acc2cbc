package dev.vigil.infra.cli;

import dev.vigil.activities.common.FileTrees;
import dev.vigil.infra.embedded.EmbeddedStack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Starts the embedded stack and keeps it running until interrupted. */
@Command(
    name = "up",
    description = "Start the embedded stack (seeded) and keep it running until Ctrl-C.")
final class UpCommand implements Callable<Integer> {
  @Option(
      names = "--work-dir",
      description = "Where the stack keeps its files (default: .vigil/up).")
  Path workDir = Path.of(".vigil", "up");

  @Override
  public Integer call() throws IOException, InterruptedException {
    Path work = workDir.toAbsolutePath();
    FileTrees.delete(work);
    try (EmbeddedStack stack = EmbeddedStack.start(work, System.err)) {
      System.out.println("Vigil embedded stack is up:");
      System.out.println(
          "  temporal   "
              + stack.config().temporal().target()
              + " (test server: no web UI, no Schedules, no persistence)");
      System.out.println(
          "  s3         " + stack.s3().endpoint() + " bucket " + EmbeddedStack.BUCKET);
      System.out.println(
          "  postgresql "
              + stack.postgres().host()
              + ":"
              + stack.postgres().port()
              + " (appdb, vigil_catalog)");
      System.out.println(
          "  worker     " + stack.workerEndpoint() + "/metrics  (/health/live, /health/ready)");
      System.out.println("  config     " + work.resolve("vigil.yaml"));
      System.out.println(
          "Try: ./vigil backup --config "
              + work.resolve("vigil.yaml")
              + "   (Ctrl-C stops the stack)");
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
      stopped.await();
      return 0;
    } finally {
      Files.deleteIfExists(work.resolve("vigil.yaml"));
    }
  }
}
