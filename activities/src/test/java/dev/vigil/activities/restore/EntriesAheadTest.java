package dev.vigil.activities.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.cas.Snapshot;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.source.FileEntry;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot restore's entries made on a thread of their own: in order, each checked by the safe
 * extractor, a bounded number ahead of the writer, a refused entry handed over in its place with
 * nothing made after it, and every file made but not taken closed when the restore stops early.
 */
class EntriesAheadTest {
  private static final long MTIME = 1_700_000_000_000L;

  @TempDir Path dir;

  private final List<FileChannel> opened = Collections.synchronizedList(new ArrayList<>());

  @Test
  void entriesComeInOrderWithTheirManifestEntriesAndFilesCreatedEmptyAndOpen() throws IOException {
    List<Snapshot.Node> nodes = new ArrayList<>();
    nodes.add(dirNode("a"));
    for (int i = 0; i < 3 * EntriesAhead.AHEAD; i++) {
      nodes.add(fileNode(String.format("a/%03d.txt", i)));
    }
    nodes.add(new Snapshot.Node("a/link", "symlink", 0, 0777, MTIME, "000.txt", List.of()));
    SafeTarExtractor extractor = SafeTarExtractor.into(dir);
    List<String> checked = Collections.synchronizedList(new ArrayList<>());

    try (EntriesAhead entries =
        new EntriesAhead(nodes, extractor, recording(checked), this::open)) {
      for (Snapshot.Node node : nodes) {
        EntriesAhead.Made made = entries.next();
        assertThat(made.node()).isEqualTo(node);
        assertThat(made.name()).isEqualTo(node.path());
        assertThat(made.recorded().path()).isEqualTo(node.path());
        assertThat(made.destination()).isEqualTo(dir.resolve(node.path()));
        if (node.type().equals("file")) {
          assertThat(made.file().isOpen()).isTrue();
          assertThat(made.destination()).isEmptyFile();
          made.file().close();
        } else {
          assertThat(made.file()).isNull();
        }
      }
    }
    assertThat(checked).containsExactlyElementsOf(nodes.stream().map(Snapshot.Node::path).toList());
    assertThat(Files.readSymbolicLink(dir.resolve("a/link"))).isEqualTo(Path.of("000.txt"));
  }

  @Test
  void itMakesABoundedNumberAheadAndClosesWhatWasNotTaken() throws Exception {
    List<Snapshot.Node> nodes = new ArrayList<>();
    for (int i = 0; i < 4 * EntriesAhead.AHEAD; i++) {
      nodes.add(fileNode(String.format("%03d.bin", i)));
    }
    SafeTarExtractor extractor = SafeTarExtractor.into(dir);

    try (EntriesAhead entries =
        new EntriesAhead(nodes, extractor, recording(new ArrayList<>()), this::open)) {
      entries.next().file().close();
      // AHEAD made and waiting, and one more made and waiting for room: then it stops.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (opened.size() < EntriesAhead.AHEAD + 2 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(opened).hasSize(EntriesAhead.AHEAD + 2);
      Thread.sleep(300);
      assertThat(opened).hasSize(EntriesAhead.AHEAD + 2);
    }
    assertThat(opened).noneMatch(FileChannel::isOpen);
    try (var made = Files.list(dir)) {
      assertThat(made.count()).isEqualTo(EntriesAhead.AHEAD + 2);
    }
  }

  @Test
  void aRefusedEntryComesInItsPlaceAndNothingAfterItIsMade() throws IOException {
    List<Snapshot.Node> nodes = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      nodes.add(fileNode("f" + i));
    }
    nodes.add(fileNode("../outside.txt"));
    for (int i = 10; i < 20; i++) {
      nodes.add(fileNode("f" + i));
    }
    SafeTarExtractor extractor =
        SafeTarExtractor.into(Files.createDirectory(dir.resolve("target")));

    try (EntriesAhead entries =
        new EntriesAhead(nodes, extractor, recording(new ArrayList<>()), this::open)) {
      for (int i = 0; i < 10; i++) {
        entries.next().file().close();
      }
      assertThatThrownBy(entries::next)
          .isInstanceOfSatisfying(
              VigilException.class,
              e -> assertThat(e.type()).isEqualTo(ErrorType.UNSAFE_ARCHIVE_ENTRY))
          .hasMessageContaining("'../outside.txt'");
    }
    assertThat(opened).hasSize(10);
    assertThat(dir.resolve("outside.txt")).doesNotExist();
    assertThat(dir.resolve("target/f10")).doesNotExist();
  }

  @Test
  void aManifestMismatchComesInItsPlace() throws IOException {
    List<Snapshot.Node> nodes = List.of(fileNode("a"), fileNode("b"), fileNode("c"));
    SafeTarExtractor extractor = SafeTarExtractor.into(dir);
    EntriesAhead.Check check =
        (entry, name) -> {
          if (name.equals("b")) {
            throw new VigilException(ErrorType.VALIDATION_FAILED, "b is not in the manifest");
          }
          return recorded(name);
        };

    try (EntriesAhead entries = new EntriesAhead(nodes, extractor, check, this::open)) {
      entries.next().file().close();
      assertThatThrownBy(entries::next).hasMessage("b is not in the manifest");
    }
    assertThat(dir.resolve("b")).doesNotExist();
    assertThat(dir.resolve("c")).doesNotExist();
  }

  private FileChannel open(Path destination) throws IOException {
    FileChannel channel = SafeTarExtractor.createFile(destination);
    opened.add(channel);
    return channel;
  }

  private static EntriesAhead.Check recording(List<String> checked) {
    return (entry, name) -> {
      checked.add(name);
      return recorded(name);
    };
  }

  private static FileEntry recorded(String name) {
    return new FileEntry(name, "file", 0, null, 0640, MTIME, null);
  }

  private static Snapshot.Node dirNode(String path) {
    return new Snapshot.Node(path, "dir", 0, 0755, MTIME, null, List.of());
  }

  private static Snapshot.Node fileNode(String path) {
    return new Snapshot.Node(path, "file", 0, 0640, MTIME, null, List.of());
  }
}
