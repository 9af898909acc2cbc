package dev.vigil.activities.source.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.MongoCommandException;
import com.mongodb.ServerAddress;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.junit.jupiter.api.Test;

/**
 * The one-line messages for driver failures mongo-java-server cannot produce (it has no users or
 * roles): the server's reply is built here as a real mongod would send it.
 */
class MongoConnectionsTest {
  @Test
  void aMissingPrivilegeNamesTheUserAndTheRoleToGrant() {
    MongoCommandException unauthorized =
        new MongoCommandException(
            new BsonDocument("ok", new BsonInt32(0))
                .append("code", new BsonInt32(13))
                .append("codeName", new BsonString("Unauthorized"))
                .append(
                    "errmsg", new BsonString("not authorized on app to execute command { find }")),
            new ServerAddress("db1", 27017));

    VigilException error =
        MongoConnections.translate(
            unauthorized,
            "source 'docs'",
            "mongodb://db1:27017,db2/?replicaSet=rs0",
            "backup",
            ErrorType.DUMP_FAILED);

    assertThat(error.type()).isEqualTo(ErrorType.DATABASE_PERMISSION_DENIED);
    assertThat(error.getMessage())
        .isEqualTo(
            "source 'docs': MongoDB at db1:27017,db2:27017 denied user 'backup': not authorized on"
                + " app to execute command { find }; grant it the backup (or restore) role");
  }

  @Test
  void anyOtherCommandFailureKeepsTheCallersTypeAndTheServersWords() {
    MongoCommandException failed =
        new MongoCommandException(
            new BsonDocument("ok", new BsonInt32(0))
                .append("code", new BsonInt32(50))
                .append("codeName", new BsonString("MaxTimeMSExpired"))
                .append("errmsg", new BsonString("operation exceeded time limit")),
            new ServerAddress("db1", 27017));

    VigilException error =
        MongoConnections.translate(
            failed, "source 'docs'", "mongodb://db1/", "backup", ErrorType.DUMP_FAILED);

    assertThat(error.type()).isEqualTo(ErrorType.DUMP_FAILED);
    assertThat(error.getMessage())
        .isEqualTo(
            "source 'docs': MongoDB at db1:27017 failed a command (MaxTimeMSExpired): operation"
                + " exceeded time limit");
  }
}
