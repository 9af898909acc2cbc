package dev.vigil.activities.cas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A restore's pack buffers: reused within its budget, reserved from a pool restores share, and all
 * given back when it closes, buffers still in use included (a failed restore must not shrink the
 * worker's pool for good).
 */
class PackBuffersTest {
  private static final int MIB = 1 << 20;

  @Test
  void aBufferGivenBackIsReusedForAPackThatFitsIt() {
    PackBuffers buffers = new PackBuffers(4L * MIB, new AtomicLong(64L * MIB));
    byte[] first = buffers.take(MIB + 1);
    assertThat(first).hasSize(2 * MIB);
    assertThat(buffers.inUse()).isEqualTo(2L * MIB);
    buffers.give(first);
    assertThat(buffers.inUse()).isZero();

    assertThat(buffers.take(MIB)).isSameAs(first);
    assertThat(buffers.allocated()).isEqualTo(2L * MIB);
  }

  @Test
  void beyondItsBudgetItSaysNoAndDropsUnusedSmallerBuffersToMakeRoom() {
    AtomicLong pool = new AtomicLong(64L * MIB);
    PackBuffers buffers = new PackBuffers(3L * MIB, pool);
    byte[] small = buffers.take(MIB);
    byte[] large = buffers.take(2L * MIB);
    assertThat(buffers.take(1)).isNull();
    buffers.give(small);

    // 3 MiB wanted: the unused 1 MiB buffer is dropped, and 2 MiB in use still leaves no room.
    assertThat(buffers.take(3L * MIB - 1)).isNull();
    assertThat(buffers.allocated()).isEqualTo(2L * MIB);
    assertThat(pool.get()).isEqualTo(62L * MIB);
    buffers.give(large);
    assertThat(buffers.take(2L * MIB)).isSameAs(large);
  }

  @Test
  void restoresSideBySideShareThePoolAndAClosedOneGivesAllItsBytesBack() {
    AtomicLong pool = new AtomicLong(3L * MIB);
    PackBuffers first = new PackBuffers(10L * MIB, pool);
    PackBuffers second = new PackBuffers(10L * MIB, pool);
    byte[] held = first.take(MIB + MIB / 2);
    assertThat(held).hasSize(2 * MIB);

    assertThat(second.take(MIB + MIB / 2)).isNull();
    assertThat(second.take(MIB / 2)).hasSize(MIB);
    assertThat(pool.get()).isZero();

    // Closed with its buffer still in use (a failed restore): the pool gets all of it back.
    first.close();
    assertThat(pool.get()).isEqualTo(2L * MIB);
    first.give(held);
    assertThat(pool.get()).isEqualTo(2L * MIB);
    assertThat(first.take(1)).isNull();
    assertThat(second.take(MIB + MIB / 2)).hasSize(2 * MIB);
    second.close();
    assertThat(pool.get()).isEqualTo(3L * MIB);
  }
}
