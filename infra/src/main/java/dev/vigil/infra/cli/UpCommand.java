package dev.vigil.infra.cli;

import dev.vigil.activities.embedded.S3MockServer;
import dev.vigil.infra.embedded.EmbeddedStack;
import dev.vigil.starter.api.ApiServer;
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
      description =
          "Where the stack keeps its files (default: .vigil/up). Must be new, empty, or made"
              + " by an earlier vigil up: it is wiped on start.")
  Path workDir = Path.of(".vigil", "up");

  @Option(
      names = "--sources",
      description =
          "Use the sources of this vigil.yaml instead of the seeded sample data (on the embedded"
              + " S3, catalog and Temporal); nothing is backed up until you ask.")
  Path sources;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Path work = WorkDir.claim(workDir);
    try (EmbeddedStack stack =
        EmbeddedStack.start(work, System.err, sources, S3MockServer.Jit.FULL)) {
      System.err.println("starting the HTTP API ...");
      ApiServer api = stack.startApi();
      Path secrets = work.resolve("secrets");
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
          "  api        " + api.url() + "/api/v1 (OpenAPI: " + api.url() + "/openapi/vigil.yml)");
      System.out.println(
          "  console    " + api.url() + "/console/ (log in with one of the tokens below)");
      System.out.println(
          "  tokens     operator: "
              + secrets.resolve(EmbeddedStack.OPERATOR_TOKEN_FILE)
              + ", viewer: "
              + secrets.resolve(EmbeddedStack.VIEWER_TOKEN_FILE));
      System.out.println(
          "Try: curl -H \"Authorization: Bearer $(cat "
              + secrets.resolve(EmbeddedStack.VIEWER_TOKEN_FILE)
              + ")\" "
              + api.url()
              + "/api/v1/backups");
      System.out.println(
          "     ./vigil backup --config "
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
