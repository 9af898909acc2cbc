package dev.vigil.activities.testing;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

/**
 * The MongoDB test data: {@code app.users} (3 documents, 2 active, one of every BSON type Vigil
 * must keep, a unique index on {@code email}) and {@code app.events} (2500 documents).
 */
public final class MongoSeed {
  /** When ada joined, as stored. */
  public static final Instant JOINED = Instant.parse("2024-02-29T12:00:00Z");

  /** Ada's balance, as stored. */
  public static final Decimal128 BALANCE = new Decimal128(new BigDecimal("1234.5678"));

  /** Ada's avatar, as stored. */
  public static final byte[] AVATAR = {0, 1, 2, (byte) 255};

  private MongoSeed() {}

  /** Writes the test data into {@code client}'s {@code app} database. */
  public static void seed(MongoClient client) {
    MongoCollection<Document> users = client.getDatabase("app").getCollection("users");
    users.insertOne(
        new Document("_id", new ObjectId())
            .append("name", "ada")
            .append("email", "ada@example.org")
            .append("active", true)
            .append("joined", Date.from(JOINED))
            .append("avatar", new Binary(AVATAR))
            .append("balance", BALANCE)
            .append("address", new Document("city", "Zürich").append("zip", 8001))
            .append("tags", List.of("a", "b", new Document("nested", List.of(1, 2.5, 3L)))));
    users.insertOne(
        new Document("name", "grace").append("email", "grace@example.org").append("active", true));
    users.insertOne(
        new Document("name", "linus").append("email", "linus@example.org").append("active", false));
    users.createIndex(Indexes.ascending("email"), new IndexOptions().unique(true));
    List<Document> events = new ArrayList<>();
    for (int i = 0; i < 2500; i++) {
      events.add(new Document("seq", i).append("at", new Date(1_700_000_000_000L + i)));
    }
    client.getDatabase("app").getCollection("events").insertMany(events);
  }

  /** Every document of {@code collection}, by {@code _id}. */
  public static List<BsonDocument> documents(MongoCollection<BsonDocument> collection) {
    List<BsonDocument> documents = new ArrayList<>();
    collection.find().sort(new Document("_id", 1)).into(documents);
    return documents;
  }
}
