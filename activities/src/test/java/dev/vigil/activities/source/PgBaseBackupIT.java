package dev.vigil.activities.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.PostgresSourceConfig;
import dev.vigil.activities.restore.SafeTarExtractor;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.workflows.common.ErrorType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pg_basebackup of a real PostgreSQL 15 cluster, its verification and its unpacking. */
class PgBaseBackupIT {
  @TempDir static Path dir;

  private static PhysicalDump dump;

  @BeforeAll
  static void backUp() {
    PostgresFixture postgres = PostgresFixture.get();
    PostgresSourceConfig logical = postgres.sourceConfig("pgbase", postgres.createDatabase());
    PostgresSourceConfig physical =
        new PostgresSourceConfig(
            logical.name(),
            logical.repository(),
            logical.host(),
            logical.port(),
            logical.database(),
            logical.user(),
            logical.password(),
            logical.compression(),
            logical.objectives(),
            PostgresSourceConfig.PHYSICAL,
            true);
    dump =
        new PostgresDumper(PgTools.locate())
            .baseBackup(physical, postgres.password(), dir.resolve("spool"), bytes -> {});
  }

  @Test
  void aBaseBackupHasItsLsnsAndEveryFileMatchesItsManifest() throws IOException {
    assertThat(dump.archive().getFileName().toString()).isEqualTo("basebackup.tar");
    assertThat(dump.bytes()).isEqualTo(Files.size(dump.archive()));
    assertThat(dump.startLsn()).matches("[0-9A-F]+/[0-9A-F]+");
    assertThat(lsn(dump.stopLsn())).isGreaterThan(lsn(dump.startLsn()));
    assertThat(dump.timeline()).isEqualTo(1);
    assertThat(dump.stoppedAt()).isAfterOrEqualTo(dump.startedAt());
    assertThat(dump.toolVersion()).startsWith("pg_basebackup (PostgreSQL) 15");
    // Only the packed archive is left in the spool.
    try (var left = Files.list(dump.archive().getParent())) {
      assertThat(left.map(path -> path.getFileName().toString())).containsExactly("basebackup.tar");
    }

    // Every file of a fresh cluster: hundreds, each with size and CRC-32C checked.
    assertThat(PgBaseBackup.verify(dump.archive(), bytes -> {})).isGreaterThan(500);
  }

  @Test
  void oneChangedByteInADataFileIsRefusedNamingTheFile() throws IOException {
    byte[] bytes = Files.readAllBytes(dump.archive());
    int header = headerOf(bytes, "PG_VERSION");
    // The file holds "15\n"; the tar header stays intact, only the content changes.
    assertThat(new String(bytes, header + 512, 3, StandardCharsets.US_ASCII)).isEqualTo("15\n");
    bytes[header + 513] = '6';
    Path tampered = dir.resolve("tampered.tar");
    Files.write(tampered, bytes);

    assertThatThrownBy(() -> PgBaseBackup.verify(tampered, done -> {}))
        .isInstanceOf(VigilException.class)
        .hasMessageContaining("base.tar file PG_VERSION has 3 bytes, CRC32C ")
        .hasMessageContaining("; backup_manifest says 3 bytes, ")
        .satisfies(e -> assertThat(((VigilException) e).type()).isEqualTo(ErrorType.DUMP_INVALID));
  }

  @Test
  void unpackingRefusesABaseTarEntryThatEscapesTheDataDirectory() throws IOException {
    Path archive = dir.resolve("hostile.tar");
    try (OutputStream out = Files.newOutputStream(archive);
        TarArchiveOutputStream outer = new TarArchiveOutputStream(out)) {
      add(outer, "backup_manifest", "{}".getBytes(StandardCharsets.UTF_8));
      add(outer, "base.tar", tar("../outside.txt", "written outside"));
      add(outer, "pg_wal.tar", tar("000000010000000000000001", "wal"));
    }
    Path dataDir = Files.createDirectories(dir.resolve("restore/data"));

    assertThatThrownBy(
            () ->
                PgBaseBackup.unpack(
                    archive,
                    dataDir,
                    (tar, into) ->
                        SafeTarExtractor.extract(
                            tar, into, SafeTarExtractor.NO_CHECKS, bytes -> {})))
        .isInstanceOf(VigilException.class)
        .hasMessageContaining("'../outside.txt'")
        .satisfies(
            e -> assertThat(((VigilException) e).type()).isEqualTo(ErrorType.UNSAFE_ARCHIVE_ENTRY));
    assertThat(dir.resolve("restore/outside.txt")).doesNotExist();
  }

  @Test
  void unpackingAnArchiveWithoutBaseTarIsRefused() throws IOException {
    Path archive = dir.resolve("no-base.tar");
    try (OutputStream out = Files.newOutputStream(archive);
        TarArchiveOutputStream outer = new TarArchiveOutputStream(out)) {
      add(outer, "backup_manifest", "{}".getBytes(StandardCharsets.UTF_8));
    }
    Path dataDir = Files.createDirectories(dir.resolve("empty/data"));

    assertThatThrownBy(() -> PgBaseBackup.unpack(archive, dataDir, (tar, into) -> {}))
        .isInstanceOf(VigilException.class)
        .hasMessage("base backup " + archive + " lacks base.tar");
  }

  private static long lsn(String text) {
    String[] parts = text.split("/");
    return (Long.parseLong(parts[0], 16) << 32) | Long.parseLong(parts[1], 16);
  }

  /** The offset of the 512-byte tar header of {@code name} inside the nested tars. */
  private static int headerOf(byte[] bytes, String name) {
    byte[] wanted = (name + "\0").getBytes(StandardCharsets.US_ASCII);
    for (int offset = 0; offset + 512 <= bytes.length; offset += 512) {
      if (Arrays.equals(bytes, offset, offset + wanted.length, wanted, 0, wanted.length)) {
        return offset;
      }
    }
    throw new AssertionError("no tar header for " + name);
  }

  private static byte[] tar(String name, String content) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      add(tar, name, content.getBytes(StandardCharsets.UTF_8));
    }
    return bytes.toByteArray();
  }

  private static void add(TarArchiveOutputStream tar, String name, byte[] content)
      throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name, true);
    entry.setSize(content.length);
    tar.putArchiveEntry(entry);
    tar.write(content);
    tar.closeArchiveEntry();
  }
}
