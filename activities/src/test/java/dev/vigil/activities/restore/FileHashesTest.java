package dev.vigil.activities.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.Digests;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Restored files hashed on a thread of their own: the SHA-256 of bytes given in order, each chunk
 * released only once hashed, and files checked in the order they ended, so the first file that
 * differs is the one reported even when a later file's hash is known earlier.
 */
class FileHashesTest {
  @Test
  void chunksAreHashedInOrderAndReleasedOnlyOnceHashed() throws Exception {
    byte[] content = new byte[5 << 20];
    new Random(5).nextBytes(content);
    List<String> checked = Collections.synchronizedList(new ArrayList<>());
    List<Integer> released = Collections.synchronizedList(new ArrayList<>());

    try (FileHashes hashes = new FileHashes()) {
      FileHashes.File file = hashes.start();
      int chunk = 100_000;
      for (int offset = 0, n = 0; offset < content.length; offset += chunk, n++) {
        // Each chunk from a buffer of its own that is overwritten as soon as it is released.
        byte[] buffer = java.util.Arrays.copyOfRange(content, offset, offset + chunk);
        int number = n;
        int length = Math.min(chunk, content.length - offset);
        file.add(
            buffer,
            0,
            length,
            () -> {
              java.util.Arrays.fill(buffer, (byte) 0);
              released.add(number);
            });
      }
      file.end(checked::add);
      hashes.checkAll();
    }

    MessageDigest expected = Digests.sha256();
    expected.update(content);
    assertThat(checked).containsExactly(Digests.hex(expected));
    assertThat(released).hasSize((content.length + 99_999) / 100_000).isSorted();
  }

  @Test
  void theFirstFileInOrderThatDiffersIsReportedThoughALaterOneIsKnownFirst() throws Exception {
    CountDownLatch slow = new CountDownLatch(1);
    List<String> checked = Collections.synchronizedList(new ArrayList<>());

    try (FileHashes hashes = new FileHashes()) {
      FileHashes.File first = hashes.start();
      first.add(new byte[] {1}, 0, 1, () -> awaitQuietly(slow));
      first.end(
          sha256 -> {
            throw new IllegalStateException("first.bin differs");
          });
      hashes.known(
          "aa",
          sha256 -> {
            throw new IllegalStateException("second.bin differs");
          });
      hashes.known("bb", checked::add);
      slow.countDown();
      assertThatThrownBy(hashes::checkAll).hasMessage("first.bin differs");
    }
    assertThat(checked).isEmpty();
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
