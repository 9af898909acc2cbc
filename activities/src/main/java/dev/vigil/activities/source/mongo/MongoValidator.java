package dev.vigil.activities.source.mongo;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.ValidationResult;
import java.util.ArrayList;
import java.util.List;
import org.bson.BsonDocument;

/**
 * Checks a restored MongoDB copy: every collection holds as many documents as the backup recorded,
 * and every configured query counts within its bounds.
 */
public final class MongoValidator {
  private final MongoConnections connections;

  public MongoValidator(MongoConnections connections) {
    this.connections = connections;
  }

  /**
   * Validates {@code target} against the counts {@code recorded} in the backup's manifest and
   * {@code validations}; a validation without a database uses the backup's only database.
   */
  public ValidationResult validate(
      MongoTarget target, List<CollectionDump> recorded, List<MongoValidation> validations) {
    List<String> checks = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    try (MongoClient client = connections.open(target.uri(), target.user(), target.password())) {
      for (CollectionDump collection : recorded) {
        String database = target.databaseFor(collection.database());
        long found =
            client.getDatabase(database).getCollection(collection.collection()).countDocuments();
        String check =
            database
                + "."
                + collection.collection()
                + ": "
                + found
                + " documents (backup: "
                + collection.documents()
                + ")";
        checks.add(check);
        if (found != collection.documents()) {
          failures.add(check);
        }
      }
      String onlyDatabase =
          recorded.stream().map(CollectionDump::database).distinct().count() == 1
              ? recorded.get(0).database()
              : null;
      for (MongoValidation validation : validations) {
        String backedUp = validation.database() != null ? validation.database() : onlyDatabase;
        if (backedUp == null) {
          failures.add(
              validation.describe() + ": name the database (the backup holds several or none)");
          continue;
        }
        long found =
            client
                .getDatabase(target.databaseFor(backedUp))
                .getCollection(validation.collection())
                .countDocuments(BsonDocument.parse(validation.filter()));
        String check = validation.describe() + ": " + found + " documents";
        checks.add(check);
        if (found < validation.minCount()
            || (validation.maxCount() >= 0 && found > validation.maxCount())) {
          failures.add(check);
        }
      }
    } catch (MongoException e) {
      throw MongoConnections.translate(
          e,
          "validation of MongoDB at " + MongoConnections.hosts(target.uri()),
          target.uri(),
          target.user(),
          ErrorType.VALIDATION_FAILED);
    }
    return new ValidationResult(failures.isEmpty(), checks, failures);
  }
}
