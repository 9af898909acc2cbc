package dev.vigil.activities.crypto;

import com.github.luben.zstd.ZstdInputStream;
import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import com.google.crypto.tink.subtle.StreamSegmentDecrypter;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Queue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

/**
 * The plaintext of one sealed stream, opened by {@link ParallelUnsealer}. The reading thread reads
 * whole ciphertext segments ahead and hands them to the decrypting threads; their plaintext is
 * returned in segment order, then decompressed on the reading thread. A segment is the last one
 * only if the ciphertext ends right after it, exactly as Tink's own decrypting stream decides, so a
 * stream cut at a segment boundary fails on its (then) last segment.
 */
public final class UnsealedStream extends InputStream {
  private static final AtomicInteger POOLS = new AtomicInteger();

  /** Progress is reported after this many segments (16 MiB) handed on. */
  private static final int REPORT_EVERY = 16;

  private final InputStream ciphertext;
  private final AesGcmHkdfStreaming aead;
  private final byte[] tinkHeader;
  private final byte[] associatedData;
  private final String what;
  private final ExecutorService workers;
  private final int window;
  private final Queue<StreamSegmentDecrypter> decrypters = new ConcurrentLinkedQueue<>();
  private final Deque<Future<ByteBuffer>> inFlight = new ArrayDeque<>();
  private final InputStream plain;
  private final LongConsumer progress;

  private int nextSegment;
  private int handedOn;
  private long decrypted;
  private boolean endOfCiphertext;
  private boolean lookahead;
  private byte lookaheadByte;
  private ByteBuffer current = ByteBuffer.allocate(0);
  private long total;
  private boolean finished;

  UnsealedStream(
      InputStream ciphertext, Sealer.Opened opened, int threads, String what, LongConsumer progress)
      throws IOException {
    this.ciphertext = ciphertext;
    this.progress = progress;
    this.aead = opened.aead();
    this.associatedData = opened.associatedData();
    this.what = what;
    this.tinkHeader = ciphertext.readNBytes(aead.getHeaderLength());
    if (tinkHeader.length < aead.getHeaderLength()) {
      throw failed("is truncated: its encryption header is incomplete");
    }
    decrypters.add(decrypter());
    // One decrypting thread is the reading thread itself: no pool, nothing handed over.
    this.workers = threads > 1 ? pool(threads) : null;
    this.window = threads > 1 ? 2 * threads : 1;
    InputStream segments = new Segments();
    this.plain = opened.zstd() ? new ZstdInputStream(segments) : segments;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int read = read(one, 0, 1);
    return read < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int read = plain.read(buffer, offset, length);
    if (read > 0) {
      total += read;
    }
    return read;
  }

  /**
   * Reads what the caller left unread (e.g. a tar's end padding) to the end of the stream, which
   * authenticates the last segment: a truncated or altered stream fails here at the latest. Returns
   * the plaintext bytes of the whole stream.
   */
  public long finish() throws IOException {
    if (!finished) {
      byte[] rest = new byte[1 << 16];
      while (read(rest, 0, rest.length) >= 0) {
        // Nothing to keep: reaching the end is the check.
      }
      finished = true;
    }
    return total;
  }

  /** Stops the decrypting threads; the ciphertext stream is closed. */
  @Override
  public void close() throws IOException {
    if (workers != null) {
      workers.shutdownNow();
    }
    inFlight.forEach(segment -> segment.cancel(true));
    inFlight.clear();
    plain.close();
  }

  /** The decrypted segments in order, before decompression. */
  private final class Segments extends InputStream {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int read = read(one, 0, 1);
      return read < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (length == 0) {
        return 0;
      }
      while (!current.hasRemaining()) {
        ByteBuffer next = nextPlaintext();
        if (next == null) {
          return -1;
        }
        current = next;
        decrypted += next.remaining();
        if (++handedOn % REPORT_EVERY == 0) {
          // A single large file extracted from the stream still shows progress.
          progress.accept(decrypted);
        }
      }
      int read = Math.min(length, current.remaining());
      current.get(buffer, offset, read);
      return read;
    }

    @Override
    public void close() throws IOException {
      ciphertext.close();
    }
  }

  /** The next segment's plaintext in order, or null after the last one. */
  private ByteBuffer nextPlaintext() throws IOException {
    while (inFlight.size() < window && !endOfCiphertext) {
      Segment segment = readSegment();
      if (workers == null) {
        return decrypt(segment);
      }
      inFlight.add(workers.submit(() -> decrypt(segment)));
    }
    Future<ByteBuffer> head = inFlight.poll();
    if (head == null) {
      return null;
    }
    try {
      return head.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("decrypting " + what + " was interrupted");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof VigilException failure) {
        throw failure;
      }
      throw new IllegalStateException("decrypting " + what + " failed", e.getCause());
    }
  }

  /** One ciphertext segment; it is the last if the stream ends right after it. */
  private record Segment(int number, byte[] bytes, int length, boolean last) {}

  private Segment readSegment() throws IOException {
    int size =
        nextSegment == 0
            ? aead.getCiphertextSegmentSize() - aead.getCiphertextOffset()
            : aead.getCiphertextSegmentSize();
    byte[] bytes = new byte[size + 1];
    int have = 0;
    if (lookahead) {
      bytes[0] = lookaheadByte;
      have = 1;
    }
    have += ciphertext.readNBytes(bytes, have, size + 1 - have);
    int number = nextSegment++;
    if (have == size + 1) {
      lookahead = true;
      lookaheadByte = bytes[size];
      return new Segment(number, bytes, size, false);
    }
    endOfCiphertext = true;
    lookahead = false;
    return new Segment(number, bytes, have, true);
  }

  private ByteBuffer decrypt(Segment segment) {
    StreamSegmentDecrypter decrypter = decrypters.poll();
    try {
      if (decrypter == null) {
        decrypter = decrypter();
      }
      ByteBuffer plaintext = ByteBuffer.allocate(segment.length());
      decrypter.decryptSegment(
          ByteBuffer.wrap(segment.bytes(), 0, segment.length()),
          segment.number(),
          segment.last(),
          plaintext);
      decrypters.add(decrypter);
      return plaintext.flip();
    } catch (GeneralSecurityException | RuntimeException e) {
      throw failed(
          "failed authentication at segment "
              + segment.number()
              + (segment.last() ? " (its last)" : "")
              + ": altered, truncated, or sealed for another backup or key");
    }
  }

  private StreamSegmentDecrypter decrypter() {
    try {
      StreamSegmentDecrypter decrypter = aead.newStreamSegmentDecrypter();
      decrypter.init(ByteBuffer.wrap(tinkHeader), associatedData);
      return decrypter;
    } catch (GeneralSecurityException e) {
      throw failed("has an invalid encryption header: altered or not sealed by Vigil");
    }
  }

  private VigilException failed(String problem) {
    return new VigilException(ErrorType.DUMP_INVALID, what + " " + problem);
  }

  private static ExecutorService pool(int threads) {
    int pool = POOLS.incrementAndGet();
    AtomicInteger thread = new AtomicInteger();
    return Executors.newFixedThreadPool(
        threads,
        task -> {
          Thread worker = new Thread(task, "unseal-" + pool + "-" + thread.incrementAndGet());
          worker.setDaemon(true);
          return worker;
        });
  }
}
