package dev.vigil.activities.cas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.crypto.EncryptionKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Chunks sealed on several threads come out in order, as one thread would store them. */
class ChunkSealerTest {
  private final ChunkCrypto crypto = new ChunkCrypto(EncryptionKey.of(new byte[32], "k"));

  @Test
  void chunksAreSealedOnSeveralThreadsAtOnceButReachTheSinkInTheOrderTheyWereAdded()
      throws IOException {
    List<byte[]> random = chunks(12, false);
    List<byte[]> text = chunks(6, true);
    byte[] reused = random.get(3);
    Map<String, ChunkRef> known = new HashMap<>();
    known.put(crypto.id(reused, reused.length), new ChunkRef("old-pack", 0, 1));
    // Counts the chunk tasks inside the sealer's threads at once: the index is asked there.
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger maxInside = new AtomicInteger();
    CountDownLatch two = new CountDownLatch(2);
    Map<String, ChunkRef> watched =
        new HashMap<>(known) {
          @Override
          public boolean containsKey(Object key) {
            maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            two.countDown();
            try {
              two.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            inside.decrementAndGet();
            return super.containsKey(key);
          }
        };
    List<ChunkSealer.Sealed> received = new ArrayList<>();
    AtomicInteger added = new AtomicInteger();
    AtomicInteger maxPending = new AtomicInteger();
    List<String> randomFile = new ArrayList<>();
    List<String> textFile = new ArrayList<>();
    try (ChunkSealer sealer =
        new ChunkSealer(
            crypto,
            watched,
            3,
            chunk -> {
              received.add(chunk);
              chunk.file().add(chunk.id());
              maxPending.accumulateAndGet(added.get() - received.size(), Math::max);
            })) {
      sealer.startFile();
      for (byte[] chunk : random) {
        added.incrementAndGet();
        sealer.add(chunk, randomFile);
      }
      sealer.startFile();
      for (byte[] chunk : text) {
        added.incrementAndGet();
        sealer.add(chunk, textFile);
      }
      sealer.finish();
    }

    assertThat(maxInside.get()).isBetween(2, 3);
    // At most two chunks per thread wait, plus the one being added.
    assertThat(maxPending.get()).isLessThanOrEqualTo(7);
    List<byte[]> all = new ArrayList<>(random);
    all.addAll(text);
    assertThat(received).hasSize(all.size());
    for (int i = 0; i < all.size(); i++) {
      byte[] data = all.get(i);
      ChunkSealer.Sealed chunk = received.get(i);
      assertThat(chunk.id()).isEqualTo(crypto.id(data, data.length));
      if (data == reused) {
        assertThat(chunk.sealed()).as("a chunk the index holds is not sealed again").isNull();
      } else {
        assertThat(crypto.open(chunk.id(), chunk.sealed())).isEqualTo(data);
        // The text file's first chunk compressed, so all of it is; the random one is not.
        if (i < random.size()) {
          assertThat(chunk.sealed().length).isGreaterThan(data.length);
        } else {
          assertThat(chunk.sealed().length).isLessThan(data.length / 2);
        }
      }
    }
    assertThat(randomFile)
        .containsExactlyElementsOf(received.subList(0, 12).stream().map(c -> c.id()).toList());
    assertThat(textFile)
        .containsExactlyElementsOf(received.subList(12, 18).stream().map(c -> c.id()).toList());
  }

  private static List<byte[]> chunks(int count, boolean text) {
    List<byte[]> chunks = new ArrayList<>();
    Random random = new Random(count);
    for (int i = 0; i < count; i++) {
      byte[] chunk = new byte[64 * 1024 + i];
      if (text) {
        byte[] line =
            ("line " + i + ": the same words again and again\n").getBytes(StandardCharsets.UTF_8);
        for (int at = 0; at < chunk.length; at++) {
          chunk[at] = line[at % line.length];
        }
      } else {
        random.nextBytes(chunk);
      }
      chunks.add(chunk);
    }
    return chunks;
  }
}
