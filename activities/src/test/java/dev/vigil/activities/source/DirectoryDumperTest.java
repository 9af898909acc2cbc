package dev.vigil.activities.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.DirectorySourceConfig;
import dev.vigil.activities.config.Objectives;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryDumperTest {
  @TempDir Path root;
  @TempDir Path spool;

  private final DirectoryDumper dumper = new DirectoryDumper();

  @Test
  void archivesEveryFileWithItsSizeAndSha256() throws Exception {
    Files.createDirectories(root.resolve("run-1/checkpoint-1000"));
    Files.writeString(root.resolve("run-1/checkpoint-1000/model.safetensors"), "weights");
    Files.writeString(root.resolve("run-1/config.json"), "{}");
    Files.createDirectories(root.resolve("empty"));

    DirDump dump = dumper.dump(source(List.of(), List.of()), spool, bytes -> {});

    Map<String, FileEntry> entries = entries(dump.fileList());
    assertThat(entries.keySet())
        .containsExactly(
            "empty",
            "run-1",
            "run-1/checkpoint-1000",
            "run-1/checkpoint-1000/model.safetensors",
            "run-1/config.json");
    FileEntry weights = entries.get("run-1/checkpoint-1000/model.safetensors");
    assertThat(weights.size()).isEqualTo(7);
    assertThat(weights.sha256()).isEqualTo(sha256("weights"));
    assertThat(dump.entries()).isEqualTo(5);
    assertThat(dump.contentBytes()).isEqualTo(9);
    assertThat(dumper.verify(dump.archive(), dump.fileList())).isEqualTo(5);
    try (TarFile tar = new TarFile(dump.archive())) {
      TarArchiveEntry entry =
          tar.getEntries().stream()
              .filter(e -> e.getName().endsWith("model.safetensors"))
              .findFirst()
              .orElseThrow();
      assertThat(new String(tar.getInputStream(entry).readAllBytes())).isEqualTo("weights");
    }
  }

  @Test
  void includeAndExcludeGlobsSelectFiles() throws Exception {
    Files.createDirectories(root.resolve("a/tmp"));
    Files.writeString(root.resolve("a/model.pt"), "m");
    Files.writeString(root.resolve("a/notes.txt"), "n");
    Files.writeString(root.resolve("a/tmp/scratch.pt"), "s");

    DirDump dump = dumper.dump(source(List.of("**/*.pt"), List.of("**/tmp")), spool, bytes -> {});

    assertThat(entries(dump.fileList()).keySet()).containsExactly("a", "a/model.pt");
  }

  @Test
  void symlinksAreStoredAsLinksAndNeverFollowed() throws Exception {
    Path outside = Files.createTempFile("outside", ".txt");
    Files.writeString(outside, "not part of the source");
    Files.createSymbolicLink(root.resolve("link"), outside);

    DirDump dump = dumper.dump(source(List.of(), List.of()), spool, bytes -> {});

    FileEntry link = entries(dump.fileList()).get("link");
    assertThat(link.type()).isEqualTo("symlink");
    assertThat(link.linkTarget()).isEqualTo(outside.toString());
    assertThat(dump.contentBytes()).isZero();
    Files.delete(outside);
  }

  @Test
  void missingDirectoryIsNamedWithTheFieldToFix() {
    DirectorySourceConfig missing =
        new DirectorySourceConfig(
            "models",
            "main",
            "model",
            root.resolve("gone"),
            List.of(),
            List.of(),
            "auto",
            Objectives.NONE);

    assertThatThrownBy(() -> dumper.dump(missing, spool, bytes -> {}))
        .isInstanceOf(VigilException.class)
        .hasMessage(
            "source 'models': directory "
                + root.resolve("gone")
                + " does not exist; check sources.models.path")
        .extracting(e -> ((VigilException) e).type())
        .isEqualTo(ErrorType.SOURCE_NOT_FOUND);
  }

  @Test
  void verifyRefusesAnArchiveThatDoesNotMatchItsFileList() throws Exception {
    Files.writeString(root.resolve("a.txt"), "a");
    Files.writeString(root.resolve("b.txt"), "b");
    DirDump dump = dumper.dump(source(List.of(), List.of()), spool, bytes -> {});
    List<String> lines = Files.readAllLines(dump.fileList());
    Files.write(dump.fileList(), List.of(lines.get(0)));

    assertThatThrownBy(() -> dumper.verify(dump.archive(), dump.fileList()))
        .isInstanceOf(VigilException.class)
        .hasMessageContaining("has entry b.txt that the file list lacks")
        .extracting(e -> ((VigilException) e).type())
        .isEqualTo(ErrorType.DUMP_INVALID);
  }

  private DirectorySourceConfig source(List<String> include, List<String> exclude) {
    return new DirectorySourceConfig(
        "models", "main", "model", root, include, exclude, "auto", Objectives.NONE);
  }

  private static Map<String, FileEntry> entries(Path fileList) throws IOException {
    try (var values =
        Json.MAPPER.readerFor(FileEntry.class).<FileEntry>readValues(fileList.toFile())) {
      return values.readAll().stream()
          .collect(
              Collectors.toMap(
                  FileEntry::path, Function.identity(), (a, b) -> a, java.util.LinkedHashMap::new));
    }
  }

  private static String sha256(String text) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes()));
  }
}
