package dev.vigil.infra.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One {@code vigil ...} invocation through the real command line: its exit code and output. */
public record CliRun(int exit, String out, String err) {
  public static CliRun of(String... args) {
    CommandLine commandLine = VigilMain.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exit = commandLine.execute(args);
    return new CliRun(exit, out.toString(), err.toString());
  }
}
