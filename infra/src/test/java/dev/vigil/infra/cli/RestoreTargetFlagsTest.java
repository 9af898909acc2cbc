package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@code vigil restore}'s point-in-time flags through the real command line: a combination that
 * names two end points, an LSN that is not one, or a target with {@code --set} is refused in one
 * line with exit 2 before any config, catalog or Temporal is touched (the config named here does
 * not exist).
 */
class RestoreTargetFlagsTest {
  private static final String[] BASE = {
    "restore", "--config", "/nonexistent/vigil.yaml", "--source", "appdb", "--fresh-cluster"
  };

  @Test
  void twoEndPointsAreRefusedInOneLine() {
    CliRun run = restore("--at", "2026-11-20T15:03:27+01:00", "--lsn", "0/5000028");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err())
        .isEqualTo(
            "vigil: INVALID_CONFIG: --at, --lsn, --latest and --backup-only each name where a"
                + " restore ends; give one\n");
  }

  @Test
  void latestWithBackupOnlyIsRefused() {
    CliRun run = restore("--latest", "--backup-only");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err().lines()).hasSize(1);
  }

  @Test
  void anLsnThatIsNotOneIsRefusedNamingTheFlag() {
    CliRun run = restore("--lsn", "5000028");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err())
        .isEqualTo(
            "vigil: INVALID_CONFIG: --lsn: '5000028' is not an LSN; give it as PostgreSQL shows"
                + " one, e.g. 0/3000028\n");
  }

  @Test
  void aTargetWithASetIsRefused() {
    CliRun run =
        CliRun.of(
            "restore",
            "--config",
            "/nonexistent/vigil.yaml",
            "--set",
            "nightly-20261122T020000Z",
            "--fresh-cluster",
            "--latest");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).startsWith("vigil: INVALID_CONFIG: --set restores each source's backup");
    assertThat(run.err().lines()).hasSize(1);
  }

  @Test
  void aValidTargetGetsAsFarAsTheConfig() {
    CliRun run = restore("--at", "2026-11-20T15:03:27+01:00");

    // Past the flags: the missing config is what stops it.
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("/nonexistent/vigil.yaml").doesNotContain("INVALID_CONFIG: --");
  }

  private static CliRun restore(String... flags) {
    String[] args = new String[BASE.length + flags.length];
    System.arraycopy(BASE, 0, args, 0, BASE.length);
    System.arraycopy(flags, 0, args, BASE.length, flags.length);
    return CliRun.of(args);
  }
}
