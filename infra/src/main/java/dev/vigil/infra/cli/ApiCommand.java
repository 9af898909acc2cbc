package dev.vigil.infra.cli;

import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.infra.api.ApiSettings;
import dev.vigil.starter.api.ApiServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the HTTP API until stopped. */
@Command(
    name = "api",
    description =
        "Run the HTTP API (api.port, default 8080): /api/v1 with bearer tokens, /metrics,"
            + " /health, /openapi/vigil.yml.")
final class ApiCommand implements Callable<Integer> {
  @Option(
      names = "--config",
      defaultValue = "${env:VIGIL_CONFIG:-vigil.yaml}",
      description = "The config file (default: $VIGIL_CONFIG, else vigil.yaml).")
  Path config;

  @Override
  public Integer call() throws InterruptedException {
    VigilConfig loaded = new ConfigLoader().withoutLocalPathChecks().load(config);
    CountDownLatch stopped = new CountDownLatch(1);
    try (ApiServer api = ApiServer.start(ApiSettings.from(loaded))) {
      System.out.println(
          "Vigil API listening on "
              + api.url()
              + " (tokens: "
              + String.join(", ", loaded.api().tokens().keySet())
              + "; OpenAPI at /openapi/vigil.yml; Ctrl-C stops it)");
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
      stopped.await();
    }
    return 0;
  }
}
