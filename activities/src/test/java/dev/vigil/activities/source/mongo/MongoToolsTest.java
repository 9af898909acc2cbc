package dev.vigil.activities.source.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.bson.BsonBoolean;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tool path. No mongodump or mongorestore exists on these machines: the command lines are
 * checked exactly, and a stand-in script on PATH shows what a real process would be given.
 */
class MongoToolsTest {
  @TempDir Path dir;

  private static final Path MONGODUMP = Path.of("/opt/mongo/bin/mongodump");
  private static final Path MONGORESTORE = Path.of("/opt/mongo/bin/mongorestore");

  @Test
  void dumpOfAWholeReplicaSetUsesTheOplogAndKeepsThePasswordInTheConfigFile() {
    MongoSource source = source("mongodb://db1:27017,db2:27017/?replicaSet=rs0", List.of(), null);

    assertThat(
            MongoTools.dumpCommand(
                MONGODUMP,
                Path.of("/spool/b1/mongo-tool.yaml"),
                Path.of("/spool/b1/mongodump.archive"),
                source))
        .containsExactly(
            "/opt/mongo/bin/mongodump",
            "--config=/spool/b1/mongo-tool.yaml",
            "--archive=/spool/b1/mongodump.archive",
            "--oplog");
  }

  @Test
  void dumpOfOneDatabaseNamesItAndCannotUseTheOplog() {
    MongoSource source = source("mongodb://db1:27017/?replicaSet=rs0", List.of("app"), null);

    assertThat(MongoTools.dumpCommand(MONGODUMP, Path.of("/c.yaml"), Path.of("/a.archive"), source))
        .containsExactly(
            "/opt/mongo/bin/mongodump", "--config=/c.yaml", "--archive=/a.archive", "--db=app");
  }

  @Test
  void restoreRenamesWithNsFromNsToAndDropsOnlyWhenForced() {
    MongoTarget gentle =
        new MongoTarget("mongodb://t:27017/", "ops", "pw", "app_copy", null, false);

    assertThat(
            MongoTools.restoreCommand(
                MONGORESTORE,
                Path.of("/c.yaml"),
                Path.of("/a.archive"),
                List.of("app"),
                gentle,
                false))
        .containsExactly(
            "/opt/mongo/bin/mongorestore",
            "--config=/c.yaml",
            "--archive=/a.archive",
            "--nsInclude=app.*",
            "--nsFrom=app.*",
            "--nsTo=app_copy.*");
    assertThat(
            MongoTools.restoreCommand(
                MONGORESTORE,
                Path.of("/c.yaml"),
                Path.of("/a.archive"),
                List.of("app"),
                gentle.forced(true),
                false))
        .containsExactly(
            "/opt/mongo/bin/mongorestore",
            "--config=/c.yaml",
            "--archive=/a.archive",
            "--nsInclude=app.*",
            "--nsFrom=app.*",
            "--nsTo=app_copy.*",
            "--drop");
  }

  @Test
  void anOplogArchiveIsRestoredWholeWithOplogReplay() {
    MongoTarget target = new MongoTarget("mongodb://t:27017/", null, null, null, null, true);

    assertThat(
            MongoTools.restoreCommand(
                MONGORESTORE,
                Path.of("/c.yaml"),
                Path.of("/a.archive"),
                List.of("app", "billing"),
                target,
                true))
        .containsExactly(
            "/opt/mongo/bin/mongorestore",
            "--config=/c.yaml",
            "--archive=/a.archive",
            "--drop",
            "--oplogReplay");
  }

  @Test
  void theConfigFileHoldsTheEncodedCredentialsAndOnlyItsOwnerMayReadIt() throws Exception {
    Path config =
        MongoTools.writeConfig(
            dir, "mongodb://db1:27017/?authSource=admin", "backup", "p@ss:w\"rd");

    assertThat(Files.readString(config))
        .isEqualTo("uri: \"mongodb://backup:p%40ss%3Aw%22rd@db1:27017/?authSource=admin\"\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config)))
        .isEqualTo("rw-------");
  }

  @Test
  void aStandInMongodumpOnPathIsRunWithoutThePasswordAndItsArchiveIsCounted() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path archive = dir.resolve("prepared.archive");
    Files.write(archive, archive(Map.of("app.users", 3, "app.events", 2), true, false));
    Path argsSeen = dir.resolve("args.txt");
    Path configSeen = dir.resolve("config-seen.txt");
    // Records its arguments and the config file it was given, then writes the archive.
    script(
        bin.resolve("mongodump"),
        "printf '%s\\n' \"$@\" > "
            + argsSeen
            + "\n"
            + "cfg=${1#--config=}; cat \"$cfg\" > "
            + configSeen
            + "; stat -c %a \"$cfg\" >> "
            + configSeen
            + "\n"
            + "out=${2#--archive=}; cp "
            + archive
            + " \"$out\"\n");
    MongoTools tools = new MongoTools(Map.of("PATH", bin + ":/usr/bin:/bin"));
    MongoSource source = source("mongodb://db1:27017/?replicaSet=rs0", List.of(), "backup");
    Path spool = Files.createDirectories(dir.resolve("spool"));

    Path found = tools.locate(null, "mongodump").orElseThrow();
    MongoDump dump = tools.dump(found, source, "s3cr3t", spool, bytes -> {});

    List<String> args = Files.readAllLines(argsSeen);
    assertThat(args)
        .containsExactly(
            "--config=" + spool.resolve("mongo-tool.yaml"),
            "--archive=" + spool.resolve("mongodump.archive"),
            "--oplog");
    assertThat(String.join(" ", args)).doesNotContain("s3cr3t");
    assertThat(Files.readAllLines(configSeen))
        .containsExactly("uri: \"mongodb://backup:s3cr3t@db1:27017/?replicaSet=rs0\"", "600");
    assertThat(spool.resolve("mongo-tool.yaml")).doesNotExist();
    assertThat(dump.format()).isEqualTo(MongoLayout.ARCHIVE_FORMAT);
    assertThat(dump.collections())
        .extracting(CollectionDump::namespace, CollectionDump::documents)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("app.users", 3L),
            org.assertj.core.groups.Tuple.tuple("app.events", 2L));
    assertThat(dump.warnings()).containsExactly("the archive holds 1 oplog entries (--oplog)");
  }

  @Test
  void aFailingMongodumpIsOneLineWithoutThePassword() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    script(
        bin.resolve("mongodump"),
        "echo 'connecting...'\n"
            + "echo 'Failed: can not connect to mongodb://backup:s3cr3t@db1:27017: auth error for s3cr3t'\n"
            + "exit 1\n");
    MongoTools tools = new MongoTools(Map.of("PATH", bin.toString()));
    Path spool = Files.createDirectories(dir.resolve("spool"));

    assertThatThrownBy(
            () ->
                tools.dump(
                    bin.resolve("mongodump"),
                    source("mongodb://db1:27017/", List.of("app"), "backup"),
                    "s3cr3t",
                    spool,
                    bytes -> {}))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.DUMP_FAILED))
        .hasMessageStartingWith(
            "source 'docs': mongodump exited with 1: Failed: can not connect to"
                + " mongodb://***@db1:27017: auth error for ***")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cr3t").doesNotContain("\n"));
  }

  @Test
  void archiveCountsSpanInterleavedBlocksAndATruncatedDocumentNamesItsCollection()
      throws Exception {
    Path good = dir.resolve("good.archive");
    Files.write(good, archive(Map.of("app.users", 4), false, false));
    assertThat(ToolArchive.count(good)).containsEntry("app.users", 4L);

    Path torn = dir.resolve("torn.archive");
    Files.write(torn, archive(Map.of("app.users", 4), false, true));
    assertThatThrownBy(() -> ToolArchive.count(torn))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.DUMP_INVALID))
        .hasMessageContaining("collection app.users: document");
  }

  @Test
  void onlyAnExecutableFileCountsAsTheTool() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Files.writeString(bin.resolve("mongodump"), "not executable");
    MongoTools tools = new MongoTools(Map.of("PATH", bin.toString()));

    assertThat(tools.locate(null, "mongodump")).isEmpty();
    assertThat(tools.locate(bin.resolve("mongodump"), "mongodump")).isEmpty();
  }

  private static MongoSource source(String uri, List<String> databases, String user) {
    return TestSources.source("docs", uri, user, databases, MongoSource.MONGODUMP);
  }

  private static void script(Path file, String body) throws Exception {
    Files.writeString(file, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
  }

  /**
   * An archive laid out as mongo-tools' archive package documents it (built here: no mongodump
   * exists to write one): magic, header, collection metadata, terminator, then blocks of each
   * namespace's documents split in two and interleaved, then EOF headers; {@code oplog} adds an
   * oplog block, {@code torn} cuts the last document short.
   */
  static byte[] archive(Map<String, Integer> namespaces, boolean oplog, boolean torn)
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(intLe(ToolArchive.MAGIC));
    out.write(
        bson(
            new BsonDocument("concurrent_collections", new BsonInt32(4))
                .append("version", new BsonString("0.1"))));
    for (String namespace : namespaces.keySet()) {
      String[] parts = namespace.split("\\.", 2);
      out.write(
          bson(
              new BsonDocument("db", new BsonString(parts[0]))
                  .append("collection", new BsonString(parts[1]))
                  .append("metadata", new BsonString("{\"indexes\":[]}"))
                  .append("size", new BsonInt32(0))));
    }
    out.write(intLe(-1));
    for (int half = 0; half < 2; half++) {
      for (Map.Entry<String, Integer> namespace : namespaces.entrySet()) {
        String[] parts = namespace.getKey().split("\\.", 2);
        out.write(header(parts[0], parts[1], false));
        int count = namespace.getValue();
        int from = half == 0 ? 0 : count / 2;
        int to = half == 0 ? count / 2 : count;
        for (int i = from; i < to; i++) {
          out.write(bson(new BsonDocument("_id", new BsonInt32(i))));
        }
        out.write(intLe(-1));
      }
    }
    if (oplog) {
      out.write(header("", "oplog", false));
      out.write(bson(new BsonDocument("op", new BsonString("n"))));
      out.write(intLe(-1));
    }
    for (String namespace : namespaces.keySet()) {
      String[] parts = namespace.split("\\.", 2);
      out.write(header(parts[0], parts[1], true));
      out.write(intLe(-1));
    }
    byte[] bytes = out.toByteArray();
    if (!torn) {
      return bytes;
    }
    // Drop the EOF blocks and the end of the last document of the second half.
    int eofBlocks = 0;
    for (String namespace : namespaces.keySet()) {
      String[] parts = namespace.split("\\.", 2);
      eofBlocks += header(parts[0], parts[1], true).length + 4;
    }
    return java.util.Arrays.copyOf(bytes, bytes.length - eofBlocks - 4 - 6);
  }

  private static byte[] header(String db, String collection, boolean eof) {
    return bson(
        new BsonDocument("db", new BsonString(db))
            .append("collection", new BsonString(collection))
            .append("EOF", BsonBoolean.valueOf(eof))
            .append("CRC", new BsonInt64(0)));
  }

  private static byte[] bson(BsonDocument document) {
    RawBsonDocument raw = new RawBsonDocument(document, new BsonDocumentCodec());
    ByteBuffer buffer = raw.getByteBuffer().asNIO();
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  private static byte[] intLe(int value) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
  }
}
