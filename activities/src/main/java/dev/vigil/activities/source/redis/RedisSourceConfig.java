package dev.vigil.activities.source.redis;

import dev.vigil.activities.config.Objectives;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.config.SourceConfig;

/**
 * A Redis server ({@code type: redis}), backed up as an RDB snapshot taken over the replication
 * protocol ({@code redis-cli --rdb}).
 *
 * @param user ACL user ({@code AUTH user password}); null means the default user
 * @param password env or file reference; unset means no AUTH
 * @param tls connect with {@code redis-cli --tls}
 */
public record RedisSourceConfig(
    String name,
    String repository,
    String host,
    int port,
    String user,
    SecretRef password,
    boolean tls,
    String compression,
    Objectives objectives)
    implements SourceConfig {

  /** The one kind of backup a Redis source has. */
  public static final String TYPE = "redis";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String kind() {
    return "database";
  }

  /** {@code host:port}, for messages. */
  public String address() {
    return host + ":" + port;
  }
}
