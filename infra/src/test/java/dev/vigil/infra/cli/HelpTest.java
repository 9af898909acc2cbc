package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/**
 * {@code -h} and {@code --help} on every verb registered in {@link VigilMain}, found by walking its
 * command tree, so a verb added later is covered without touching this test: usage on stdout, exit
 * 0, no config, Temporal or catalog needed (none exists where the tests run).
 */
class HelpTest {
  @TestFactory
  Stream<DynamicTest> everyVerbPrintsItsUsageOnDashDashHelpAndDashH() {
    List<List<String>> verbs = new ArrayList<>();
    collect(VigilMain.commandLine(), new ArrayList<>(), verbs);
    assertThat(verbs).extracting(verb -> String.join(" ", verb)).contains("validate", "up");
    return verbs.stream()
        .flatMap(
            verb ->
                Stream.of("--help", "-h")
                    .map(
                        flag ->
                            DynamicTest.dynamicTest(
                                "vigil " + String.join(" ", verb) + " " + flag,
                                () -> printsUsage(verb, flag))));
  }

  @Test
  void theTopLevelCommandListsEveryVerb() {
    CliRun run = CliRun.of("--help");

    assertThat(run.exit()).isZero();
    VigilMain.commandLine()
        .getSubcommands()
        .forEach(
            (verb, command) -> {
              if (!command.getCommandSpec().usageMessage().hidden()) {
                assertThat(run.out()).containsPattern("(?m)^  " + verb + "\\s");
              }
            });
  }

  private static void printsUsage(List<String> verb, String flag) {
    List<String> args = new ArrayList<>(verb);
    args.add(flag);
    CommandLine command = VigilMain.commandLine();
    for (String name : verb) {
      command = command.getSubcommands().get(name);
    }
    String purpose = command.getCommandSpec().usageMessage().description()[0];

    CliRun run = CliRun.of(args.toArray(String[]::new));

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(run.out())
        .startsWith("Usage: vigil " + String.join(" ", verb) + " ")
        .contains("-h, --help");
    assertThat(words(run.out())).contains(words(purpose));
  }

  private static String words(String text) {
    return text.replaceAll("\\s+", " ");
  }

  private static void collect(CommandLine parent, List<String> path, List<List<String>> verbs) {
    parent
        .getSubcommands()
        .forEach(
            (name, verb) -> {
              List<String> at = new ArrayList<>(path);
              at.add(name);
              verbs.add(at);
              collect(verb, at, verbs);
            });
  }
}
