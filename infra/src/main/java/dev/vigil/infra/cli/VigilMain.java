package dev.vigil.infra.cli;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.ConfigException;
import dev.vigil.starter.api.ApiConfigurationException;
import dev.vigil.starter.read.CatalogReadException;
import dev.vigil.starter.schedule.ScheduleException;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.connection.TemporalAccessException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowFailedException;
import io.temporal.failure.CanceledFailure;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code vigil} command line. Exit codes: 0 success, 1 a run failed, 2 bad input.
 *
 * <p>A verb registers by being listed in {@code subcommands} below with a picocli {@code @Command}
 * that has a {@code name} and a one-line {@code description}; {@link #commandLine()} then gives it
 * (and its own sub-verbs) {@code -h}/{@code --help}, which prints its usage to stdout and exits 0
 * without reading a config or connecting to anything.
 */
@Command(
    name = "vigil",
    mixinStandardHelpOptions = true,
    version = "vigil 0.1.0",
    description = "Durable backups, archival and DR drills for ML and data platforms.",
    subcommands = {
      DemoCommand.class,
      UpCommand.class,
      ValidateCommand.class,
      BackupCommand.class,
      BackupsCommand.class,
      StatusCommand.class,
      CancelCommand.class,
      ReportCommand.class,
      DrillsCommand.class,
      RestoreCommand.class,
      BenchRestoreCommand.class,
      DrillCommand.class,
      PruneCommand.class,
      RehydrateCommand.class,
      SchedulesCommand.class,
      WorkerCommand.class,
      RepairCommand.class,
      CheckCommand.class,
      CatalogCommand.class,
      ApiCommand.class,
      WalPushCommand.class,
      WalFetchCommand.class
    })
public final class VigilMain implements Runnable {
  /** Exit code of a run that did not succeed. */
  static final int FAILED = 1;

  /** Exit code of invalid input (config, arguments). */
  static final int BAD_INPUT = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine(args).execute(args));
  }

  /** The command line with Vigil's error handling: expected failures print one line, no trace. */
  public static CommandLine commandLine() {
    return withErrorHandling(new CommandLine(new VigilMain()));
  }

  /**
   * The command line for {@code args}: for {@code wal-push} and {@code wal-fetch}, which PostgreSQL
   * starts once per WAL file, one with only that verb, so a call does not pay for building every
   * other verb (about half a second of a JVM start); otherwise {@link #commandLine()}.
   */
  static CommandLine commandLine(String[] args) {
    if (args.length == 0 || !(args[0].equals("wal-push") || args[0].equals("wal-fetch"))) {
      return commandLine();
    }
    CommandLine lean =
        new CommandLine(CommandLine.Model.CommandSpec.create().name("vigil"))
            .addSubcommand(
                args[0], args[0].equals("wal-push") ? new WalPushCommand() : new WalFetchCommand());
    return withErrorHandling(lean);
  }

  private static CommandLine withErrorHandling(CommandLine commandLine) {
    addHelpOptions(commandLine);
    commandLine.setExecutionExceptionHandler(
        (exception, cmd, parseResult) -> {
          PrintWriter err = cmd.getErr();
          if (exception instanceof ConfigException config) {
            config.problems().forEach(err::println);
            return BAD_INPUT;
          }
          if (exception instanceof WorkDir.NotOursException refused) {
            err.println("vigil: " + refused.getMessage());
            return BAD_INPUT;
          }
          if (exception instanceof ScheduleException refused) {
            err.println("vigil: " + refused.getMessage());
            return BAD_INPUT;
          }
          if (exception instanceof ApiConfigurationException api) {
            err.println("vigil: " + api.getMessage());
            return BAD_INPUT;
          }
          if (exception instanceof VigilException vigil) {
            err.println("vigil: " + vigil.type() + ": " + vigil.getMessage());
            return BAD_INPUT;
          }
          if (exception instanceof CatalogReadException catalog) {
            err.println("vigil: " + catalog.getMessage());
            return FAILED;
          }
          if (exception instanceof WorkflowFailedException run) {
            // A run the command waited for ended without a result (cancelled, terminated, failed).
            String id = run.getExecution().getWorkflowId();
            err.println(
                run.getCause() instanceof CanceledFailure
                    ? "vigil: run " + id + " was cancelled"
                    : "vigil: run " + id + " failed: " + Failures.reason(run.getCause()));
            return FAILED;
          }
          if (exception instanceof TemporalAccessException access) {
            err.println("vigil: " + access.getMessage());
            return FAILED;
          }
          if (exception instanceof StatusRuntimeException temporal
              && temporal.getStatus().getCode() == Status.Code.UNAVAILABLE) {
            err.println(
                "vigil: Temporal is unreachable ("
                    + temporal.getStatus().getDescription()
                    + "): check temporal.target in the config and that the server is up");
            return FAILED;
          }
          throw exception;
        });
    return commandLine;
  }

  /** Every verb, and every verb of a verb, answers {@code -h} and {@code --help}. */
  private static void addHelpOptions(CommandLine parent) {
    for (CommandLine verb : parent.getSubcommands().values()) {
      CommandLine.Model.CommandSpec spec = verb.getCommandSpec();
      if (spec.optionsMap().containsKey("--help")) {
        continue; // an alias of a verb already done, or a verb with its own
      }
      String[] names =
          spec.optionsMap().containsKey("-h")
              ? new String[] {"--help"}
              : new String[] {"-h", "--help"};
      spec.addOption(
          CommandLine.Model.OptionSpec.builder(names)
              .usageHelp(true)
              .description("Show this help and exit.")
              .build());
      addHelpOptions(verb);
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
