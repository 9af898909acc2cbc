package dev.vigil.activities.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.DirectorySourceConfig;
import dev.vigil.activities.config.Objectives;
import dev.vigil.activities.crypto.EncryptionKey;
import dev.vigil.activities.crypto.ParallelUnsealer;
import dev.vigil.activities.crypto.Sealer;
import dev.vigil.activities.source.DirDump;
import dev.vigil.activities.source.DirectoryDumper;
import dev.vigil.activities.source.FileEntry;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.ValidationResult;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Extraction of directory backups: archives crafted with commons-compress and sealed with the
 * {@link Sealer}, as an attacker with write access to the bucket could not (the AEAD stops them)
 * but a compromised backup host could. Every escaping entry is refused before anything is written
 * for it; a clean archive restores byte for byte.
 */
class DirectoryRestorerTest {
  private static final String CONTEXT = "vigil/v1 backup=models-1 source=models";

  @TempDir Path dir;

  private final Sealer sealer = new Sealer(key());
  private final DirectoryRestorer restorer = new DirectoryRestorer();
  private List<FileEntry> manifest = new ArrayList<>();

  @Test
  void anEntryClimbingOutWithDotDotIsRefused() throws IOException {
    assertUnsafe(
        List.of(file("ok.txt", "fine"), file("../../etc/cron.d/evil", "* * * * * root sh")),
        "archive entry '../../etc/cron.d/evil' climbs out with '..'");
    assertThat(dir.resolve("etc")).doesNotExist();
  }

  @Test
  void anAbsolutePathIsRefused() throws IOException {
    assertUnsafe(
        List.of(file("/tmp/vigil-evil-" + System.nanoTime(), "x")),
        "has an absolute or malformed path");
  }

  @Test
  void aSymlinkPointingOutIsRefused() throws IOException {
    assertUnsafe(
        List.of(symlink("escape", "../../outside")),
        "archive entry 'escape' is a symlink to '../../outside', outside the target");
    assertUnsafe(
        List.of(symlink("etc", "/etc")), "archive entry 'etc' is a symlink to the absolute path");
  }

  @Test
  void aFileWrittenThroughASymlinkIsRefused() throws IOException {
    assertUnsafe(
        List.of(dirEntry("real"), symlink("link", "real"), file("link/inside.txt", "x")),
        "archive entry 'link/inside.txt' would be written through the symlink link");
  }

  @Test
  void aDirectoryCheckedForEarlierFilesIsWalkedAgainBelowALinkMadeInItAndCannotBecomeALink()
      throws IOException {
    // The extractor remembers directories it checked; a link made inside one is a new parent.
    assertUnsafe(
        List.of(
            dirEntry("d"),
            file("d/a.txt", "a"),
            file("d/b.txt", "b"),
            symlink("d/up", ".."),
            file("d/up/x.txt", "x")),
        "archive entry 'd/up/x.txt' would be written through the symlink d/up");
    assertUnsafe(
        List.of(file("d/a.txt", "a"), symlink("d", "elsewhere"), file("d/b.txt", "b")),
        "archive entry 'd' appears twice in the archive");
  }

  @Test
  void aHardLinkPointingOutIsRefused() throws IOException {
    TarArchiveEntry link = new TarArchiveEntry("passwd", TarArchiveEntry.LF_LINK);
    link.setLinkName("../../etc/passwd");
    assertUnsafe(
        List.of(new Crafted(link, null)),
        "archive entry 'passwd' is a hard link to '../../etc/passwd'");
  }

  @Test
  void aNonEmptyTargetIsRefusedWithoutForceAndLeftAsItWas() throws IOException {
    Path target = Files.createDirectories(dir.resolve("target"));
    Files.writeString(target.resolve("old.txt"), "old");

    assertThatThrownBy(() -> restorer.checkTarget(target, false))
        .isInstanceOf(VigilException.class)
        .hasMessage(
            "restore target directory "
                + target
                + " is not empty (it holds old.txt); restore into an empty or new directory, or"
                + " pass --force to replace its contents")
        .satisfies(
            e -> assertThat(((VigilException) e).type()).isEqualTo(ErrorType.TARGET_NOT_EMPTY));
    restorer.checkTarget(target, true);

    assertThat(target.resolve("old.txt")).hasContent("old");
  }

  @Test
  void theS1EscHardLinkChainIsRefusedAndTheOutsideFileIsUntouched() throws IOException {
    Path work = Files.createDirectories(dir.resolve("work"));
    Path victim = Files.writeString(work.resolve("victim.txt"), "outside, must not change");
    Path target = Files.createDirectories(work.resolve("target"));
    TarArchiveEntry hardLink = new TarArchiveEntry("hl", TarArchiveEntry.LF_LINK);
    hardLink.setLinkName("esc/victim.txt");

    assertUnsafe(
        target,
        List.of(symlink("s1", "."), symlink("esc", "s1/.."), new Crafted(hardLink, null)),
        "archive entry 'esc' is a symlink to 's1/..', outside the target");

    assertThat(victim).hasContent("outside, must not change");
    assertThat(target.resolve("hl")).doesNotExist();
  }

  @Test
  void aSymlinkChainLeadingOutIsRefused() throws IOException {
    assertUnsafe(
        List.of(
            dirEntry("sub"),
            symlink("l1", "sub"),
            symlink("sub/l2", ".."),
            symlink("out", "l1/l2/..")),
        "archive entry 'out' is a symlink to 'l1/l2/..', outside the target");
  }

  @Test
  void aDotDotAfterASymlinkIsRefused() throws IOException {
    assertUnsafe(
        List.of(
            dirEntry("a"), dirEntry("a/b"), symlink("a/b/s", "../.."), symlink("esc", "a/b/s/..")),
        "archive entry 'esc' is a symlink to 'a/b/s/..', outside the target");
  }

  @Test
  void aDanglingSymlinkBentOutByALaterLinkIsRefused() throws IOException {
    assertUnsafe(
        List.of(symlink("a", "x/.."), symlink("x", ".")),
        "archive entry 'a' is a symlink to 'x/..', which leads outside the target through later"
            + " links");
  }

  @Test
  void aHardLinkToASymlinkIsRefused() throws IOException {
    TarArchiveEntry hardLink = new TarArchiveEntry("hl", TarArchiveEntry.LF_LINK);
    hardLink.setLinkName("link");
    assertUnsafe(
        List.of(file("f.txt", "x"), symlink("link", "f.txt"), new Crafted(hardLink, null)),
        "archive entry 'hl' is a hard link to 'link', not a file this restore wrote");
  }

  @Test
  void aHardLinkToAnAbsolutePathOutsideIsRefused() throws IOException {
    Path victim = Files.writeString(dir.resolve("victim.txt"), "outside");
    TarArchiveEntry hardLink = new TarArchiveEntry("hl", TarArchiveEntry.LF_LINK);
    hardLink.setLinkName(victim.toString());
    assertUnsafe(
        List.of(new Crafted(hardLink, null)),
        "archive entry 'hl' is a hard link to '" + victim + "', not a file this restore wrote");
    assertThat(victim).hasContent("outside");
  }

  @Test
  void aRefusedRestoreLeavesANewTargetAbsentAndAnOutsideFileUnchanged() throws IOException {
    Path work = Files.createDirectories(dir.resolve("work"));
    Path victim = Files.writeString(work.resolve("victim.txt"), "outside, must not change");
    Path target = work.resolve("target");
    Path sealed = seal(escapingChain());

    assertThatThrownBy(
            () ->
                restorer.restore(
                    unsealed(sealed), target, "restore-1", false, manifest.iterator(), b -> {}))
        .satisfies(
            e -> assertThat(((VigilException) e).type()).isEqualTo(ErrorType.UNSAFE_ARCHIVE_ENTRY));

    assertThat(target).doesNotExist();
    assertThat(victim).hasContent("outside, must not change");
    try (var left = Files.list(work)) {
      assertThat(left).containsExactly(victim);
    }
  }

  @Test
  void aRefusedForcedRestoreLeavesAnExistingTargetAsItWas() throws IOException {
    Path work = Files.createDirectories(dir.resolve("work"));
    Path victim = Files.writeString(work.resolve("victim.txt"), "outside, must not change");
    Path target = Files.createDirectories(work.resolve("target"));
    Files.writeString(target.resolve("old.txt"), "the operator's data");
    Path sealed = seal(escapingChain());

    assertThatThrownBy(
            () ->
                restorer.restore(
                    unsealed(sealed), target, "restore-2", true, manifest.iterator(), b -> {}))
        .satisfies(
            e -> assertThat(((VigilException) e).type()).isEqualTo(ErrorType.UNSAFE_ARCHIVE_ENTRY));

    assertThat(victim).hasContent("outside, must not change");
    try (var left = Files.list(target)) {
      assertThat(left).containsExactly(target.resolve("old.txt"));
    }
    assertThat(target.resolve("old.txt")).hasContent("the operator's data");
    try (var left = Files.list(work)) {
      assertThat(left).containsExactlyInAnyOrder(victim, target);
    }
  }

  @Test
  void aRetryAfterACrashBetweenTheTwoRenamesPutsTheOldTreeBackBeforeItRestores()
      throws IOException {
    Path work = Files.createDirectories(dir.resolve("work"));
    Path target = work.resolve("target");
    // The crashed attempt had moved the old tree aside; the new one never arrived.
    Path aside = Files.createDirectories(work.resolve(".target.vigil-replaced-restore-4"));
    Files.writeString(aside.resolve("old.txt"), "the operator's data");
    Path escaping = seal(escapingChain());

    assertThatThrownBy(
            () ->
                restorer.restore(
                    unsealed(escaping), target, "restore-4", true, manifest.iterator(), b -> {}))
        .satisfies(
            e -> assertThat(((VigilException) e).type()).isEqualTo(ErrorType.UNSAFE_ARCHIVE_ENTRY));

    assertThat(target.resolve("old.txt")).hasContent("the operator's data");
    try (var left = Files.list(work)) {
      assertThat(left).containsExactly(target);
    }
    Path clean = seal(List.of(file("new.txt", "restored")));

    restorer.restore(unsealed(clean), target, "restore-4", true, manifest.iterator(), b -> {});

    try (var left = Files.list(target)) {
      assertThat(left).containsExactly(target.resolve("new.txt"));
    }
    try (var left = Files.list(work)) {
      assertThat(left).containsExactly(target);
    }
  }

  @Test
  void internalSymlinksAndHardLinksToExtractedFilesRestoreAndForceReplacesTheOldTree()
      throws IOException {
    TarArchiveEntry hardLink =
        new TarArchiveEntry("run/ckpt/weights-copy.bin", TarArchiveEntry.LF_LINK);
    hardLink.setLinkName("run/ckpt/weights.bin");
    Path sealed =
        seal(
            List.of(
                dirEntry("run"),
                dirEntry("run/ckpt"),
                file("run/ckpt/weights.bin", "weights"),
                new Crafted(hardLink, null),
                symlink("run/ckpt/up", ".."),
                symlink("run/latest", "ckpt"),
                symlink("best", "run/latest/weights.bin")));
    Path target = Files.createDirectories(dir.resolve("work/target"));
    Files.writeString(target.resolve("old.txt"), "replaced by the restore");

    restorer.restore(unsealed(sealed), target, "restore-3", true, manifest.iterator(), b -> {});

    assertThat(target.resolve("best")).hasContent("weights");
    assertThat(target.resolve("run/ckpt/up/latest/weights.bin")).hasContent("weights");
    assertThat(
            Files.isSameFile(
                target.resolve("run/ckpt/weights.bin"),
                target.resolve("run/ckpt/weights-copy.bin")))
        .isTrue();
    assertThat(target.resolve("old.txt")).doesNotExist();
    try (var left = Files.list(target.getParent())) {
      assertThat(left).containsExactly(target);
    }
  }

  @Test
  void aDumpedTreeRestoresByteIdenticalAndValidatesExactly() throws IOException {
    Path source = Files.createDirectories(dir.resolve("source/run-1/checkpoint-1000"));
    byte[] weights = new byte[3 << 20];
    new Random(7).nextBytes(weights);
    Files.write(source.resolve("weights.bin"), weights);
    Files.writeString(source.resolve("config.json"), "{\"layers\": 12}");
    Files.createSymbolicLink(dir.resolve("source/best"), Path.of("run-1/checkpoint-1000"));
    Path spool = Files.createDirectories(dir.resolve("spool"));
    DirDump dump =
        new DirectoryDumper()
            .dump(
                new DirectorySourceConfig(
                    "models",
                    "main",
                    "model",
                    dir.resolve("source"),
                    List.of(),
                    List.of(),
                    "auto",
                    Objectives.NONE),
                spool,
                bytes -> {});
    Path sealed = spool.resolve("data.vgl");
    sealer.seal(dump.archive(), sealed, "zstd", CONTEXT, bytes -> {});
    List<FileEntry> manifest = entries(dump.fileList());
    Path target = dir.resolve("restored");

    long bytes =
        restorer.restore(
            unsealed(sealed), target, "restore-0", false, manifest.iterator(), b -> {});

    assertThat(bytes).isEqualTo(weights.length + "{\"layers\": 12}".length());
    assertThat(Files.readAllBytes(target.resolve("run-1/checkpoint-1000/weights.bin")))
        .isEqualTo(weights);
    assertThat(Files.readSymbolicLink(target.resolve("best")))
        .isEqualTo(Path.of("run-1/checkpoint-1000"));
    ValidationResult validation = restorer.validate(target, manifest.iterator(), b -> {});
    assertThat(validation.passed()).isTrue();
    assertThat(validation.checks())
        .containsExactly(
            "2 files ("
                + bytes
                + " bytes, SHA-256 each), 2 directories and 1 symlinks match the manifest; no"
                + " extra files");

    Files.writeString(target.resolve("extra.txt"), "not in the backup");
    Files.write(target.resolve("run-1/checkpoint-1000/config.json"), new byte[] {'x'});
    ValidationResult tampered = restorer.validate(target, manifest.iterator(), b -> {});
    assertThat(tampered.passed()).isFalse();
    assertThat(tampered.failures())
        .containsExactly(
            "extra: extra.txt is not in the backup",
            "run-1/checkpoint-1000/config.json: 1 bytes, the backup has 14");
  }

  @Test
  void aStreamedArchiveCutAfterItsLastEntryIsNotMovedIntoPlace() throws IOException {
    // Everything the extractor needs lies in the first segment; 3 MiB follow that it never reads.
    Crafted weights = file("weights.txt", "all the weights");
    Path tar = dir.resolve("padded.tar");
    try (OutputStream out = Files.newOutputStream(tar);
        TarArchiveOutputStream archive = new TarArchiveOutputStream(out)) {
      archive.putArchiveEntry(weights.entry());
      archive.write(weights.content());
      archive.closeArchiveEntry();
    }
    byte[] tail = new byte[3 << 20];
    new Random(2).nextBytes(tail);
    Files.write(tar, tail, StandardOpenOption.APPEND);
    Path sealed = dir.resolve("padded.vgl");
    sealer.seal(tar, sealed, "none", CONTEXT, bytes -> {});
    byte[] bytes = Files.readAllBytes(sealed);
    // Cut at a segment boundary: the segments left all authenticate, only the end is missing.
    Files.write(sealed, Arrays.copyOf(bytes, 7 + (bytes[6] & 0xff) + 2 * (1 << 20)));
    Path target = dir.resolve("cut-target");

    try (InputStream in =
        new ParallelUnsealer(sealer, 2)
            .open(Files.newInputStream(sealed), CONTEXT, "backup 'models-1'")) {
      assertThatThrownBy(
              () ->
                  restorer.restore(
                      in, target, "r1", false, List.of(weights.recorded()).iterator(), b -> {}))
          .isInstanceOf(VigilException.class)
          .hasMessageStartingWith(
              "backup 'models-1' failed authentication at segment 1 (its last)");
    }
    assertThat(target).doesNotExist();
    assertThat(dir.resolve(".cut-target.vigil-staging-r1")).doesNotExist();
  }

  private void assertUnsafe(List<Crafted> entries, String message) throws IOException {
    assertUnsafe(
        Files.createDirectories(dir.resolve("target-" + System.nanoTime())), entries, message);
  }

  private void assertUnsafe(Path target, List<Crafted> entries, String message) throws IOException {
    Path sealed = seal(entries);

    assertThatThrownBy(
            () -> restorer.extract(unsealed(sealed), target, manifest.iterator(), bytes -> {}))
        .isInstanceOf(VigilException.class)
        .hasMessageContaining(message)
        .satisfies(
            e -> assertThat(((VigilException) e).type()).isEqualTo(ErrorType.UNSAFE_ARCHIVE_ENTRY));
  }

  /** {@code s1 -> .}, {@code esc -> s1/..}, {@code hl} hard-linked to {@code esc/victim.txt}. */
  private static List<Crafted> escapingChain() {
    TarArchiveEntry hardLink = new TarArchiveEntry("hl", TarArchiveEntry.LF_LINK);
    hardLink.setLinkName("esc/victim.txt");
    return List.of(
        file("ok.txt", "fine"),
        symlink("s1", "."),
        symlink("esc", "s1/.."),
        new Crafted(hardLink, null));
  }

  /** Writes {@code entries} as a tar, seals it, and sets {@link #manifest} to match it. */
  private Path seal(List<Crafted> entries) throws IOException {
    Path tars = Files.createDirectories(dir.resolve("tars"));
    Path tar = tars.resolve("crafted-" + System.nanoTime() + ".tar");
    manifest = new ArrayList<>();
    try (OutputStream out = Files.newOutputStream(tar);
        TarArchiveOutputStream archive = new TarArchiveOutputStream(out)) {
      archive.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Crafted crafted : entries) {
        archive.putArchiveEntry(crafted.entry());
        if (crafted.content() != null) {
          archive.write(crafted.content());
        }
        archive.closeArchiveEntry();
        manifest.add(crafted.recorded());
      }
    }
    Path sealed = tars.resolve(tar.getFileName() + ".vgl");
    sealer.seal(tar, sealed, "zstd", CONTEXT, bytes -> {});
    return sealed;
  }

  private InputStream unsealed(Path sealed) throws IOException {
    Path plain = sealed.resolveSibling(sealed.getFileName() + ".tar");
    try (InputStream in = Files.newInputStream(sealed);
        OutputStream out = Files.newOutputStream(plain)) {
      sealer.unseal(in, out, CONTEXT);
    }
    return Files.newInputStream(plain);
  }

  private static List<FileEntry> entries(Path fileList) throws IOException {
    List<FileEntry> entries = new ArrayList<>();
    try (var lines =
        dev.vigil.activities.common.Json.MAPPER
            .readerFor(FileEntry.class)
            .<FileEntry>readValues(fileList.toFile())) {
      lines.forEachRemaining(entries::add);
    }
    return entries;
  }

  private static Crafted file(String name, String content) {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry entry = new TarArchiveEntry(name, true);
    entry.setSize(bytes.length);
    entry.setMode(0100644);
    return new Crafted(entry, bytes);
  }

  private static Crafted symlink(String name, String target) {
    TarArchiveEntry entry = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK, true);
    entry.setLinkName(target);
    return new Crafted(entry, null);
  }

  private static Crafted dirEntry(String name) {
    TarArchiveEntry entry = new TarArchiveEntry(name + "/", true);
    entry.setMode(040755);
    return new Crafted(entry, null);
  }

  private static EncryptionKey key() {
    byte[] material = new byte[32];
    new Random(1).nextBytes(material);
    return EncryptionKey.of(material, null);
  }

  /** A tar entry with its content and the manifest line a backup would have recorded for it. */
  private record Crafted(TarArchiveEntry entry, byte[] content) {
    FileEntry recorded() {
      String name =
          entry.getName().endsWith("/") ? entry.getName().replaceAll("/+$", "") : entry.getName();
      String type = entry.isSymbolicLink() ? "symlink" : entry.isDirectory() ? "dir" : "file";
      String sha256 = content == null ? null : digest(content);
      return new FileEntry(
          name, type, content == null ? 0 : content.length, sha256, 0644, 0, entry.getLinkName());
    }

    private static String digest(byte[] content) {
      try {
        return Digests.sha256Hex(new ByteArrayInputStream(content));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
