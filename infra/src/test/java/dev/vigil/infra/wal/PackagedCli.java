package dev.vigil.infra.wal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

/**
 * Shell wrappers around the packaged CLI (target/ jar and lib/, what ./vigil runs), readable and
 * runnable by the postgres user, as PostgreSQL's archive_command and restore_command run it.
 */
public final class PackagedCli {
  private PackagedCli() {}

  /**
   * A script in {@code dir} that runs {@code vigil <verb> <arguments> --config <config> --source
   * <source>}. S3Mock ignores credentials; the SDK wants some.
   */
  public static Path script(Path dir, String verb, String arguments, Path config, String source)
      throws IOException {
    Path target = Path.of("target").toAbsolutePath();
    Path jar;
    try (Stream<Path> files = Files.list(target)) {
      jar =
          files
              .filter(path -> path.getFileName().toString().matches("vigil-infra-.*\\.jar"))
              .filter(path -> !path.getFileName().toString().contains("tests"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no packaged CLI jar in " + target));
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return executable(
        dir.resolve(verb + ".sh"),
        "exec "
            + java
            + " -XX:TieredStopAtLevel=1 -cp '"
            + jar
            + ":"
            + target.resolve("lib")
            + "/*' dev.vigil.infra.cli.VigilMain "
            + verb
            + " "
            + arguments
            + " --config "
            + config
            + " --source "
            + source
            + "\n");
  }

  /** A shell script with S3Mock's (ignored) credentials, runnable by the postgres user. */
  public static Path executable(Path file, String body) throws IOException {
    readable(
        file,
        "#!/bin/sh\n"
            + "export AWS_ACCESS_KEY_ID=vigil-test AWS_SECRET_ACCESS_KEY=vigil-test-secret\n"
            + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  /** Writes {@code content} readable by everyone (the postgres user runs the scripts). */
  public static Path readable(Path file, String content) throws IOException {
    Files.writeString(file, content, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    return file;
  }
}
