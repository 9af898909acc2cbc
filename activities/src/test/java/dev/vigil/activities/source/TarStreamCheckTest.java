package dev.vigil.activities.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.DirectorySourceConfig;
import dev.vigil.activities.config.Objectives;
import dev.vigil.workflows.common.ErrorType;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory streamed as a tar into the sealer is read back as a tar on the way: the entries
 * written must be the entries announced, with no raw archive file.
 */
class TarStreamCheckTest {
  @TempDir Path root;
  @TempDir Path spool;

  @Test
  void aStreamedDirectoryDumpWritesNoArchiveAndIsReadBackEntryByEntry() throws Exception {
    Files.createDirectories(root.resolve("run-1/checkpoint-1000"));
    byte[] weights = new byte[3 << 20];
    new Random(7).nextBytes(weights);
    Files.write(root.resolve("run-1/checkpoint-1000/model.safetensors"), weights);
    Files.writeString(root.resolve("run-1/config.json"), "{}");
    Files.createSymbolicLink(root.resolve("latest"), Path.of("run-1/checkpoint-1000"));
    ByteArrayOutputStream sink = new ByteArrayOutputStream();

    DirectoryDumper.Streamed streamed =
        new DirectoryDumper()
            .dumpInto(
                new DirectorySourceConfig(
                    "models", "main", "model", root, List.of(), List.of(), "auto", Objectives.NONE),
                spool,
                sink,
                bytes -> {});

    assertThat(spool.resolve(DirectoryDumper.ARCHIVE)).as("no raw archive").doesNotExist();
    assertThat(spool.resolve(DirectoryDumper.FILE_LIST)).exists();
    assertThat(streamed.checkedEntries()).isEqualTo(streamed.dump().entries()).isEqualTo(5);
    assertThat(streamed.dump().archiveBytes()).isEqualTo(sink.size());
    try (TarArchiveInputStream tar =
        new TarArchiveInputStream(new java.io.ByteArrayInputStream(sink.toByteArray()))) {
      TarArchiveEntry entry;
      int count = 0;
      while ((entry = tar.getNextEntry()) != null) {
        if (entry.getName().endsWith("model.safetensors")) {
          assertThat(tar.readAllBytes()).isEqualTo(weights);
        }
        count++;
      }
      assertThat(count).isEqualTo(5);
    }
  }

  @Test
  void anEntryThatReadsBackDifferentlyFromWhatWasAnnouncedIsInvalid() throws Exception {
    TarStreamCheck check = new TarStreamCheck("source 'models': the tar of /data/models");
    try (TarArchiveOutputStream tar =
        new TarArchiveOutputStream(check.tee(OutputStream.nullOutputStream()))) {
      check.expect("config.json", "file", 2);
      write(tar, "config.json", "{}");
      check.expect("weights.bin", "file", 5);
      // A writer bug: another name and size reach the stream than the file list records.
      write(tar, "weights.bin.tmp", "123456");
      tar.finish();
    } catch (VigilException earlyStop) {
      // The reader may stop the writer at the difference already.
      assertThat(earlyStop.type()).isEqualTo(ErrorType.DUMP_INVALID);
    }

    assertThatThrownBy(check::finish)
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.DUMP_INVALID))
        .hasMessage(
            "source 'models': the tar of /data/models entry 1 reads back as weights.bin.tmp"
                + " (6 bytes) but weights.bin (5 bytes) was written");
  }

  @Test
  void aWriterClosedAfterTheReaderStoppedFailsWithTheDifferenceItself() throws Exception {
    TarStreamCheck check = new TarStreamCheck("source 'models': the tar of /data/models");
    OutputStream tee = check.tee(OutputStream.nullOutputStream());
    TarArchiveOutputStream tar = new TarArchiveOutputStream(tee);
    check.expect("weights.bin", "file", 5);
    VigilException stopped = null;
    try {
      write(tar, "weights.bin.tmp", "123456");
      tar.flush();
    } catch (VigilException e) {
      // The reader may stop the writer at the difference already.
      stopped = e;
    }
    // Until the reader has read the header and stopped, the pipe still takes bytes.
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (stopped == null && System.nanoTime() < deadline) {
      try {
        tee.write(new byte[512]);
      } catch (VigilException e) {
        stopped = e;
      }
    }
    assertThat(stopped).as("the reader stopped the writer").isNotNull();

    // As try-with-resources would: the write failed, then close() meets the same difference.
    VigilException first = stopped;
    assertThatThrownBy(
            () -> {
              try {
                throw first;
              } finally {
                try {
                  tar.close();
                } catch (Exception again) {
                  // The difference again, or an entry left open by a write the reader stopped.
                  first.addSuppressed(again);
                }
              }
            })
        .isSameAs(first)
        .hasMessageContaining("reads back as weights.bin.tmp");
  }

  @Test
  void anAnnouncedEntryMissingFromTheStreamIsInvalid() throws Exception {
    TarStreamCheck check = new TarStreamCheck("source 'models': the tar of /data/models");
    try (TarArchiveOutputStream tar =
        new TarArchiveOutputStream(check.tee(OutputStream.nullOutputStream()))) {
      check.expect("config.json", "file", 2);
      write(tar, "config.json", "{}");
      check.expect("weights.bin", "file", 5);
      tar.finish();
    }

    assertThatThrownBy(check::finish)
        .isInstanceOf(VigilException.class)
        .hasMessage(
            "source 'models': the tar of /data/models lacks weights.bin from the file list");
  }

  private static void write(TarArchiveOutputStream tar, String name, String content)
      throws Exception {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setSize(bytes.length);
    tar.putArchiveEntry(entry);
    tar.write(bytes);
    tar.closeArchiveEntry();
  }
}
