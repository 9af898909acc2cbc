package dev.vigil.infra.demo;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;

/**
 * Sample data of an ML platform: an application database with a conversations table, a models
 * directory of checkpoints, a datasets directory and a config directory. Deterministic (seeded), so
 * runs are comparable.
 */
public final class DemoData {
  /** Rows in the demo database, all tables together. */
  public static final int CUSTOMERS = 20_000;

  public static final int CONVERSATIONS = 100_000;
  public static final int FEEDBACK = 10_000;

  private static final int WEIGHTS_BYTES = 4 << 20;

  private DemoData() {}

  /** Creates and fills the demo tables. */
  public static void seedDatabase(String jdbcUrl, String user, String password) {
    try (Connection connection = DriverManager.getConnection(jdbcUrl, user, password);
        Statement sql = connection.createStatement()) {
      sql.execute(
          "CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email text NOT NULL,"
              + " plan text NOT NULL, created_at timestamptz NOT NULL)");
      sql.execute(
          "INSERT INTO customers SELECT g, 'customer ' || g, 'c' || g || '@example.com',"
              + " (ARRAY['free','team','enterprise'])[1 + g % 3],"
              + " timestamptz '2025-01-01' + g * interval '17 minutes'"
              + " FROM generate_series(1, "
              + CUSTOMERS
              + ") g");
      sql.execute(
          "CREATE TABLE conversations (id bigint PRIMARY KEY, customer_id bigint NOT NULL"
              + " REFERENCES customers(id), started_at timestamptz NOT NULL, channel text NOT"
              + " NULL, model_version text NOT NULL, turns int NOT NULL, transcript text NOT NULL)");
      sql.execute(
          "INSERT INTO conversations SELECT g, 1 + g % "
              + CUSTOMERS
              + ", timestamptz '2026-01-01' + g * interval '3 minutes',"
              + " (ARRAY['chat','email','voice'])[1 + g % 3], 'assistant-v' || (1 + g % 4),"
              + " 1 + g % 12, repeat('user asks about order ' || g || '; assistant answers. ', 1 +"
              + " g % 5) FROM generate_series(1, "
              + CONVERSATIONS
              + ") g");
      sql.execute("CREATE INDEX conversations_started_at ON conversations (started_at)");
      sql.execute(
          "CREATE TABLE feedback (id bigint PRIMARY KEY, conversation_id bigint NOT NULL"
              + " REFERENCES conversations(id), rating int NOT NULL, comment text)");
      sql.execute(
          "INSERT INTO feedback SELECT g, g * 10, 1 + g % 5, 'comment ' || g FROM"
              + " generate_series(1, "
              + FEEDBACK
              + ") g");
      sql.execute("ANALYZE");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot seed the demo database: " + e.getMessage(), e);
    }
  }

  /** Checkpoint-style model directories with incompressible weights and small JSON files. */
  public static void seedModels(Path models) {
    Random random = new Random(42);
    String run = "run-2026-11-20";
    for (String checkpoint :
        new String[] {"checkpoint-1000", "checkpoint-2000", "checkpoint-3000"}) {
      writeModel(models.resolve(run).resolve(checkpoint), random, checkpoint);
    }
    writeModel(models.resolve(run).resolve("best"), random, "best (checkpoint-2000)");
    writeModel(models.resolve("production"), random, "production");
    writeModel(models.resolve("rollback"), random, "rollback");
  }

  /** A compressible dataset: JSON lines of conversations and a CSV of labels. */
  public static void seedDatasets(Path datasets) {
    Random random = new Random(7);
    write(
        datasets.resolve("conversations-2026-11/part-0000.jsonl"),
        out -> {
          for (int i = 0; i < 60_000; i++) {
            out.write(
                "{\"id\":"
                    + i
                    + ",\"prompt\":\"where is my order "
                    + random.nextInt(100_000)
                    + "?\",\"completion\":\"your order ships on day "
                    + random.nextInt(30)
                    + "\",\"label\":\""
                    + (random.nextBoolean() ? "resolved" : "escalated")
                    + "\"}\n");
          }
        });
    write(
        datasets.resolve("eval/labels.csv"),
        out -> {
          out.write("id,label,score\n");
          for (int i = 0; i < 20_000; i++) {
            out.write(
                i
                    + ","
                    + (i % 3 == 0 ? "escalated" : "resolved")
                    + ","
                    + random.nextDouble()
                    + "\n");
          }
        });
  }

  /** Training and serving configuration. */
  public static void seedConfig(Path config) {
    write(
        config.resolve("training.yaml"),
        out ->
            out.write(
                "model: assistant\nbase: llama-3-8b\nlearning_rate: 2.0e-5\nbatch_size: 64\n"
                    + "epochs: 3\ncheckpoint_every: 1000\n"));
    write(
        config.resolve("serving.yaml"),
        out -> out.write("model: assistant-v4\nreplicas: 3\nmax_tokens: 1024\ntimeout: 30s\n"));
    write(
        config.resolve("feature-flags.json"),
        out -> out.write("{\"streaming\": true, \"tools\": [\"orders\", \"refunds\"]}\n"));
  }

  private static void writeModel(Path dir, Random random, String name) {
    try {
      Files.createDirectories(dir);
      byte[] chunk = new byte[1 << 20];
      try (OutputStream out = Files.newOutputStream(dir.resolve("model.safetensors"))) {
        for (int written = 0; written < WEIGHTS_BYTES; written += chunk.length) {
          random.nextBytes(chunk);
          out.write(chunk);
        }
      }
      Files.writeString(
          dir.resolve("config.json"),
          "{\"name\": \"" + name + "\", \"hidden_size\": 4096, \"layers\": 32}\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private interface Content {
    void writeTo(Writer out) throws IOException;
  }

  private static void write(Path file, Content content) {
    try {
      Files.createDirectories(file.getParent());
      try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        content.writeTo(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
