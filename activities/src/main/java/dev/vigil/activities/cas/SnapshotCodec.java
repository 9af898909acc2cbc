package dev.vigil.activities.cas;

import com.fasterxml.jackson.core.JsonParser;
import com.github.luben.zstd.ZstdIOException;
import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import dev.vigil.activities.common.Json;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The serialized form of a {@link Snapshot}. Version 2 (written now) is binary and column-wise,
 * compressed with zstd: the magic {@code VSNP}, the version byte, then one zstd frame holding the
 * key id, the chunk size, the pack keys once each, the chunk table (32-byte ids, pack index,
 * offset, length as columns) and the tree as columns (front-coded paths, types, sizes, modes, mtime
 * deltas, link targets, chunk counts and chunk-table index deltas). Each column holds values that
 * look alike, so zstd finds them; a chunk id costs 32 bytes instead of ~70 of compressed JSON, a
 * pack key is stored once instead of once per chunk. Version 1 (JSON, written before) is still
 * read, so older chunked backups restore and check as before.
 */
public final class SnapshotCodec {
  /** The format version this code writes. */
  public static final int VERSION = 2;

  private static final byte[] MAGIC = {'V', 'S', 'N', 'P'};
  private static final byte[] JSON_START = "{\"version\":".getBytes(StandardCharsets.US_ASCII);
  private static final List<String> TYPES = List.of("file", "dir", "symlink");
  private static final int ID_BYTES = 32;
  private static final HexFormat HEX = HexFormat.of();

  private SnapshotCodec() {}

  /** Whether {@code file} (an unsealed backup) is a chunked backup's snapshot, of any version. */
  public static boolean isSnapshot(Path file) throws IOException {
    byte[] start = new byte[JSON_START.length];
    try (InputStream in = Files.newInputStream(file)) {
      int read = in.readNBytes(start, 0, start.length);
      return (read >= MAGIC.length + 1
              && Arrays.equals(start, 0, MAGIC.length, MAGIC, 0, MAGIC.length))
          || (read == start.length && Arrays.equals(start, JSON_START));
    }
  }

  /** Writes {@code snapshot} to {@code file} in the current version. */
  public static void write(Snapshot snapshot, Path file) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      write(snapshot, out);
    }
  }

  /** Writes {@code snapshot} to {@code out} in the current version; {@code out} stays open. */
  public static void write(Snapshot snapshot, OutputStream out) throws IOException {
    out.write(MAGIC);
    out.write(VERSION);
    ZstdOutputStream zstd = new ZstdOutputStream(new UnclosedOutput(out), 9);
    DataOutputStream data = new DataOutputStream(new BufferedOutputStream(zstd, 1 << 16));
    string(data, snapshot.keyId());
    varint(data, snapshot.chunkSize());

    // The chunk table: every chunk with a place, then ids a file names without one (never in a
    // snapshot Vigil writes; kept so any snapshot reads back as it was).
    Map<String, Integer> index = new LinkedHashMap<>();
    snapshot.chunks().keySet().forEach(id -> index.put(id, index.size()));
    for (Snapshot.Node node : snapshot.files()) {
      for (String id : chunksOf(node)) {
        index.putIfAbsent(id, index.size());
      }
    }
    Map<String, Integer> packs = new LinkedHashMap<>();
    snapshot.chunks().values().forEach(ref -> packs.putIfAbsent(ref.pack(), packs.size()));
    varint(data, packs.size());
    for (String pack : packs.keySet()) {
      string(data, pack);
    }
    varint(data, index.size());
    boolean binaryIds = index.keySet().stream().allMatch(SnapshotCodec::isHexId);
    data.writeBoolean(binaryIds);
    for (String id : index.keySet()) {
      if (binaryIds) {
        data.write(HEX.parseHex(id));
      } else {
        string(data, id);
      }
    }
    for (String id : index.keySet()) {
      ChunkRef ref = snapshot.chunks().get(id);
      varint(data, ref == null ? 0 : packs.get(ref.pack()) + 1);
    }
    for (String id : index.keySet()) {
      ChunkRef ref = snapshot.chunks().get(id);
      if (ref != null) {
        varint(data, ref.offset());
      }
    }
    for (String id : index.keySet()) {
      ChunkRef ref = snapshot.chunks().get(id);
      if (ref != null) {
        varint(data, ref.length());
      }
    }

    List<Snapshot.Node> nodes = snapshot.files();
    varint(data, nodes.size());
    byte[] previous = new byte[0];
    for (Snapshot.Node node : nodes) {
      byte[] path = node.path().getBytes(StandardCharsets.UTF_8);
      int shared = 0;
      while (shared < path.length && shared < previous.length && path[shared] == previous[shared]) {
        shared++;
      }
      varint(data, shared);
      varint(data, path.length - shared);
      data.write(path, shared, path.length - shared);
      previous = path;
    }
    for (Snapshot.Node node : nodes) {
      int type = TYPES.indexOf(node.type());
      if (type < 0) {
        throw new IllegalArgumentException("unknown node type " + node.type() + " of " + node);
      }
      data.writeByte(type);
    }
    for (Snapshot.Node node : nodes) {
      varint(data, node.size());
    }
    for (Snapshot.Node node : nodes) {
      varint(data, node.mode());
    }
    long mtime = 0;
    for (Snapshot.Node node : nodes) {
      varint(data, zigzag(node.mtimeMillis() - mtime));
      mtime = node.mtimeMillis();
    }
    for (Snapshot.Node node : nodes) {
      data.writeBoolean(node.linkTarget() != null);
      if (node.linkTarget() != null) {
        string(data, node.linkTarget());
      }
    }
    for (Snapshot.Node node : nodes) {
      varint(data, chunksOf(node).size());
    }
    // A file's chunks are mostly the next entries of the table: deltas are mostly zero.
    long next = 0;
    for (Snapshot.Node node : nodes) {
      for (String id : chunksOf(node)) {
        int at = index.get(id);
        varint(data, zigzag(at - next));
        next = at + 1L;
      }
    }
    data.flush();
    zstd.close();
  }

  /** Reads the snapshot in {@code file}, of any version. */
  public static Snapshot read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in);
    }
  }

  /**
   * Reads one snapshot, of any version, from the start of {@code in}; {@code in} stays open, so a
   * caller reading a sealed stream can read it to its end to have it authenticated.
   */
  public static Snapshot read(InputStream in) throws IOException {
    InputStream buffered = new BufferedInputStream(new Unclosed(in), 1 << 16);
    buffered.mark(MAGIC.length + 1);
    byte[] start = buffered.readNBytes(MAGIC.length + 1);
    if (start.length == MAGIC.length + 1 && Arrays.equals(start, 0, 4, MAGIC, 0, 4)) {
      if (start[MAGIC.length] != VERSION) {
        throw new IOException(
            "snapshot format version " + start[MAGIC.length] + " is not known to this Vigil");
      }
      ZstdInputStream zstd = new ZstdInputStream(buffered);
      try {
        Snapshot snapshot = readV2(new DataInputStream(new BufferedInputStream(zstd, 1 << 16)));
        buffered.transferTo(OutputStream.nullOutputStream());
        return snapshot;
      } catch (ZstdIOException e) {
        throw malformed(e.getMessage());
      } finally {
        zstd.close();
      }
    }
    buffered.reset();
    Snapshot snapshot =
        Json.MAPPER
            .readerFor(Snapshot.class)
            .without(JsonParser.Feature.AUTO_CLOSE_SOURCE)
            .readValue(buffered);
    buffered.transferTo(OutputStream.nullOutputStream());
    return snapshot;
  }

  private static Snapshot readV2(DataInputStream data) throws IOException {
    String keyId = string(data);
    int chunkSize = (int) varint(data);
    List<String> packs = new ArrayList<>();
    for (long i = count(data); i > 0; i--) {
      packs.add(string(data));
    }
    int chunkCount = count(data);
    boolean binaryIds = data.readBoolean();
    String[] ids = new String[chunkCount];
    byte[] id = new byte[ID_BYTES];
    for (int i = 0; i < chunkCount; i++) {
      if (binaryIds) {
        data.readFully(id);
        ids[i] = HEX.formatHex(id);
      } else {
        ids[i] = string(data);
      }
    }
    int[] packOf = new int[chunkCount];
    for (int i = 0; i < chunkCount; i++) {
      long pack = varint(data);
      if (pack > packs.size()) {
        throw malformed("chunk " + ids[i] + " names pack " + pack + " of " + packs.size());
      }
      packOf[i] = (int) pack - 1;
    }
    long[] offsets = new long[chunkCount];
    for (int i = 0; i < chunkCount; i++) {
      offsets[i] = packOf[i] < 0 ? 0 : varint(data);
    }
    Map<String, ChunkRef> chunks = new LinkedHashMap<>();
    for (int i = 0; i < chunkCount; i++) {
      if (packOf[i] >= 0) {
        chunks.put(ids[i], new ChunkRef(packs.get(packOf[i]), offsets[i], (int) varint(data)));
      }
    }

    int nodeCount = count(data);
    String[] paths = new String[nodeCount];
    byte[] previous = new byte[0];
    for (int i = 0; i < nodeCount; i++) {
      int shared = (int) varint(data);
      int rest = count(data);
      if (shared > previous.length) {
        throw malformed("entry " + i + " shares more of its path than the one before has");
      }
      byte[] path = Arrays.copyOf(previous, shared + rest);
      data.readFully(path, shared, rest);
      paths[i] = new String(path, StandardCharsets.UTF_8);
      previous = path;
    }
    String[] types = new String[nodeCount];
    for (int i = 0; i < nodeCount; i++) {
      int type = data.readUnsignedByte();
      if (type >= TYPES.size()) {
        throw malformed(paths[i] + " has unknown type " + type);
      }
      types[i] = TYPES.get(type);
    }
    long[] sizes = new long[nodeCount];
    for (int i = 0; i < nodeCount; i++) {
      sizes[i] = varint(data);
    }
    int[] modes = new int[nodeCount];
    for (int i = 0; i < nodeCount; i++) {
      modes[i] = (int) varint(data);
    }
    long[] mtimes = new long[nodeCount];
    long mtime = 0;
    for (int i = 0; i < nodeCount; i++) {
      mtime += unzigzag(varint(data));
      mtimes[i] = mtime;
    }
    String[] links = new String[nodeCount];
    for (int i = 0; i < nodeCount; i++) {
      links[i] = data.readBoolean() ? string(data) : null;
    }
    int[] chunkCounts = new int[nodeCount];
    for (int i = 0; i < nodeCount; i++) {
      chunkCounts[i] = count(data);
    }
    List<Snapshot.Node> nodes = new ArrayList<>(nodeCount);
    long next = 0;
    for (int i = 0; i < nodeCount; i++) {
      List<String> fileChunks = new ArrayList<>(chunkCounts[i]);
      for (int c = 0; c < chunkCounts[i]; c++) {
        long at = next + unzigzag(varint(data));
        if (at < 0 || at >= chunkCount) {
          throw malformed(paths[i] + " names chunk " + at + " of " + chunkCount);
        }
        fileChunks.add(ids[(int) at]);
        next = at + 1;
      }
      nodes.add(
          new Snapshot.Node(
              paths[i], types[i], sizes[i], modes[i], mtimes[i], links[i], fileChunks));
    }
    if (data.read() != -1) {
      throw malformed("bytes follow its last entry");
    }
    return new Snapshot(VERSION, keyId, chunkSize, chunks, nodes);
  }

  private static List<String> chunksOf(Snapshot.Node node) {
    return node.chunks() == null ? List.of() : node.chunks();
  }

  private static boolean isHexId(String id) {
    if (id.length() != ID_BYTES * 2) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static void string(DataOutputStream out, String value) throws IOException {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    varint(out, bytes.length);
    out.write(bytes);
  }

  private static String string(DataInputStream in) throws IOException {
    byte[] bytes = new byte[count(in)];
    in.readFully(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static void varint(DataOutputStream out, long value) throws IOException {
    // Unsigned: a negative value (never written by Vigil) still reads back as it was.
    while ((value & ~0x7fL) != 0) {
      out.writeByte((int) (value & 0x7f) | 0x80);
      value >>>= 7;
    }
    out.writeByte((int) value);
  }

  private static long varint(DataInputStream in) throws IOException {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("snapshot ends inside a number");
      }
      value |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw malformed("a number is longer than 64 bits");
  }

  /** A count or length: must fit in memory (the snapshot is authenticated, but fail clearly). */
  private static int count(DataInputStream in) throws IOException {
    long value = varint(in);
    if (value > Integer.MAX_VALUE - 8) {
      throw malformed("a count of " + value + " is out of range");
    }
    return (int) value;
  }

  private static long zigzag(long value) {
    return (value << 1) ^ (value >> 63);
  }

  private static long unzigzag(long value) {
    return (value >>> 1) ^ -(value & 1);
  }

  private static IOException malformed(String what) {
    return new IOException("snapshot is malformed: " + what);
  }

  /** Passes everything through but close, so the caller's stream stays open. */
  private static final class Unclosed extends FilterInputStream {
    Unclosed(InputStream in) {
      super(in);
    }

    @Override
    public void close() {
      // The caller owns the stream.
    }
  }

  /** Passes everything through but close (a flush), so the caller's stream stays open. */
  private static final class UnclosedOutput extends FilterOutputStream {
    UnclosedOutput(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      out.write(bytes, offset, length);
    }

    @Override
    public void close() throws IOException {
      out.flush();
    }
  }
}
