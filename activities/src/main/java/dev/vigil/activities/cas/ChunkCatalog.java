package dev.vigil.activities.cas;

import dev.vigil.activities.common.SqlErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The catalog's view of a source's content-addressed store: which packs exist (and in what state),
 * which chunks each LIVE pack holds, and which packs each backup needs. Every change that decides
 * whether a pack may be deleted runs under one advisory lock per repository and source, so a sweep
 * and a backup that reuses old chunks never both win.
 */
public final class ChunkCatalog {
  private final DataSource dataSource;

  public ChunkCatalog(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** A pack the catalog knows. */
  public record Pack(
      String key, String repository, long size, String sha256, String state, String createdBy) {}

  /** The chunks of the source's LIVE packs sealed with {@code keyId}: what a backup may reuse. */
  public Map<String, ChunkRef> liveChunks(String repository, String source, String keyId) {
    Map<String, ChunkRef> chunks = new HashMap<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select =
            connection.prepareStatement(
                "SELECT c.chunk_id, c.pack_key, c.pack_offset, c.length FROM vigil.cas_chunk c"
                    + " JOIN vigil.cas_pack p USING (pack_key) WHERE p.repository = ? AND"
                    + " p.source = ? AND p.key_id = ? AND p.state = 'LIVE'")) {
      select.setString(1, repository);
      select.setString(2, source);
      select.setString(3, keyId);
      select.setFetchSize(10_000);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          chunks.putIfAbsent(
              rows.getString(1), new ChunkRef(rows.getString(2), rows.getLong(3), rows.getInt(4)));
        }
      }
      return chunks;
    } catch (SQLException e) {
      throw SqlErrors.catalogFailure("read the chunks of source '" + source + "'", e);
    }
  }

  /**
   * Records a pack about to be uploaded, referenced by {@code backupId}: from here on a sweep keeps
   * it while that backup runs, and finds it if the backup fails.
   */
  public void registerPack(
      String key, String repository, String source, String keyId, String backupId) {
    inLockedTransaction(
        repository,
        source,
        connection -> {
          try (PreparedStatement insert =
                  connection.prepareStatement(
                      "INSERT INTO vigil.cas_pack (pack_key, repository, source, key_id, size,"
                          + " sha256, state, created_by) VALUES (?, ?, ?, ?, 0, '', 'UPLOADING',"
                          + " ?) ON CONFLICT (pack_key) DO NOTHING");
              PreparedStatement reference =
                  connection.prepareStatement(
                      "INSERT INTO vigil.cas_backup_pack (backup_id, pack_key) VALUES (?, ?)"
                          + " ON CONFLICT DO NOTHING")) {
            insert.setString(1, key);
            insert.setString(2, repository);
            insert.setString(3, source);
            insert.setString(4, keyId);
            insert.setString(5, backupId);
            insert.executeUpdate();
            reference.setString(1, backupId);
            reference.setString(2, key);
            reference.executeUpdate();
          }
        },
        "record pack " + key);
  }

  /** Marks an uploaded pack LIVE with the chunks it holds: later backups may reuse them. */
  public void packStored(String key, long size, String sha256, Map<String, ChunkRef> chunks) {
    packStored(key, size, sha256, null, chunks);
  }

  /**
   * As {@link #packStored(String, long, String, Map)}, with the CRC64NVME (base64) Vigil computed
   * over the pack and sent with it, or null when the upload carried none.
   */
  public void packStored(
      String key, long size, String sha256, String crc64nvme, Map<String, ChunkRef> chunks) {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE vigil.cas_pack SET size = ?, sha256 = ?, crc64nvme = ?, state = 'LIVE'"
                      + " WHERE pack_key = ? AND state = 'UPLOADING'");
          PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO vigil.cas_chunk (pack_key, chunk_id, pack_offset, length) VALUES"
                      + " (?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
        update.setLong(1, size);
        update.setString(2, sha256);
        update.setString(3, crc64nvme);
        update.setString(4, key);
        if (update.executeUpdate() != 1) {
          connection.rollback();
          throw new VigilException(
              ErrorType.CATALOG_CONFLICT,
              "pack " + key + " is no longer being uploaded (a sweep took it); back up again");
        }
        for (Map.Entry<String, ChunkRef> chunk : chunks.entrySet()) {
          insert.setString(1, key);
          insert.setString(2, chunk.getKey());
          insert.setLong(3, chunk.getValue().offset());
          insert.setInt(4, chunk.getValue().length());
          insert.addBatch();
        }
        insert.executeBatch();
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw SqlErrors.catalogFailure("record pack " + key, e);
    }
  }

  /**
   * Makes {@code packs} exactly the packs {@code backupId} references, once every one of them is
   * still LIVE; a pack a sweep began deleting since the backup read the chunk index fails the
   * backup with DUMP_FAILED, and its retry reads the index again.
   */
  public void referencePacks(
      String repository, String source, String backupId, Collection<String> packs) {
    inLockedTransaction(
        repository,
        source,
        connection -> {
          try (PreparedStatement gone =
              connection.prepareStatement(
                  "SELECT k FROM unnest(?::text[]) k WHERE NOT EXISTS (SELECT 1 FROM"
                      + " vigil.cas_pack p WHERE p.pack_key = k AND p.state = 'LIVE')")) {
            gone.setArray(1, connection.createArrayOf("text", packs.toArray()));
            try (ResultSet rows = gone.executeQuery()) {
              if (rows.next()) {
                throw new VigilException(
                    ErrorType.DUMP_FAILED,
                    "source '"
                        + source
                        + "': pack "
                        + rows.getString(1)
                        + " was pruned while this backup reused it; the retry reads the chunk"
                        + " index again");
              }
            }
          }
          try (PreparedStatement clear =
                  connection.prepareStatement(
                      "DELETE FROM vigil.cas_backup_pack WHERE backup_id = ?");
              PreparedStatement insert =
                  connection.prepareStatement(
                      "INSERT INTO vigil.cas_backup_pack (backup_id, pack_key) VALUES (?, ?)")) {
            clear.setString(1, backupId);
            clear.executeUpdate();
            for (String pack : packs) {
              insert.setString(1, backupId);
              insert.setString(2, pack);
              insert.addBatch();
            }
            insert.executeBatch();
          }
        },
        "record the packs of backup " + backupId);
  }

  /** The packs {@code backupId} references, with what the catalog recorded of each. */
  public List<Pack> packsOf(String backupId) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select =
            connection.prepareStatement(
                "SELECT p.pack_key, p.repository, p.size, p.sha256, p.state, p.created_by FROM"
                    + " vigil.cas_backup_pack r JOIN vigil.cas_pack p USING (pack_key) WHERE"
                    + " r.backup_id = ? ORDER BY p.pack_key")) {
      select.setString(1, backupId);
      return packs(select);
    } catch (SQLException e) {
      throw SqlErrors.catalogFailure("read the packs of backup " + backupId, e);
    }
  }

  /** The CRC64NVME recorded for each pack {@code backupId} references that has one, by pack key. */
  public Map<String, String> checksumsOf(String backupId) {
    Map<String, String> checksums = new HashMap<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select =
            connection.prepareStatement(
                "SELECT p.pack_key, p.crc64nvme FROM vigil.cas_backup_pack r JOIN vigil.cas_pack p"
                    + " USING (pack_key) WHERE r.backup_id = ? AND p.crc64nvme IS NOT NULL")) {
      select.setString(1, backupId);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          checksums.put(rows.getString(1), rows.getString(2));
        }
      }
      return checksums;
    } catch (SQLException e) {
      throw SqlErrors.catalogFailure("read the pack checksums of backup " + backupId, e);
    }
  }

  /** Every backup's referenced packs, by backup id (for the repository check). */
  public Map<String, List<Pack>> packsByBackup() {
    Map<String, List<Pack>> byBackup = new HashMap<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select =
            connection.prepareStatement(
                "SELECT r.backup_id, p.pack_key, p.repository, p.size, p.sha256, p.state,"
                    + " p.created_by FROM vigil.cas_backup_pack r JOIN vigil.cas_pack p USING"
                    + " (pack_key) ORDER BY r.backup_id, p.pack_key");
        ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        byBackup
            .computeIfAbsent(rows.getString(1), id -> new ArrayList<>())
            .add(
                new Pack(
                    rows.getString(2),
                    rows.getString(3),
                    rows.getLong(4),
                    rows.getString(5),
                    rows.getString(6),
                    rows.getString(7)));
      }
      return byBackup;
    } catch (SQLException e) {
      throw SqlErrors.catalogFailure("read the packs of every backup", e);
    }
  }

  /** The state of every pack the catalog knows, by key. */
  public Map<String, String> packStates() {
    Map<String, String> states = new HashMap<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select =
            connection.prepareStatement("SELECT pack_key, state FROM vigil.cas_pack");
        ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        states.put(rows.getString(1), rows.getString(2));
      }
      return states;
    } catch (SQLException e) {
      throw SqlErrors.catalogFailure("read the packs", e);
    }
  }

  /**
   * Marks DELETING every pack of the source that no RUNNING or ARCHIVED backup references (one
   * transaction under the source's lock), then returns every DELETING pack of the source: those
   * marked now and those a crashed sweep left.
   */
  public List<Pack> condemnUnreferenced(String repository, String source) {
    inLockedTransaction(
        repository,
        source,
        connection -> {
          try (PreparedStatement mark =
              connection.prepareStatement(
                  "UPDATE vigil.cas_pack p SET state = 'DELETING' WHERE p.repository = ? AND"
                      + " p.source = ? AND p.state <> 'DELETING' AND NOT EXISTS (SELECT 1 FROM"
                      + " vigil.cas_backup_pack r JOIN vigil.backup b USING (backup_id) WHERE"
                      + " r.pack_key = p.pack_key AND b.status IN ('RUNNING', 'ARCHIVED'))")) {
            mark.setString(1, repository);
            mark.setString(2, source);
            mark.executeUpdate();
          }
        },
        "find the unreferenced packs of source '" + source + "'");
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select =
            connection.prepareStatement(
                "SELECT pack_key, repository, size, sha256, state, created_by FROM vigil.cas_pack WHERE"
                    + " repository = ? AND source = ? AND state = 'DELETING' ORDER BY pack_key")) {
      select.setString(1, repository);
      select.setString(2, source);
      return packs(select);
    } catch (SQLException e) {
      throw SqlErrors.catalogFailure("read the packs of source '" + source + "'", e);
    }
  }

  /** Forgets a DELETING pack whose object is gone (its chunks and references with it). */
  public void forget(String key) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement delete =
            connection.prepareStatement(
                "DELETE FROM vigil.cas_pack WHERE pack_key = ? AND state = 'DELETING'")) {
      delete.setString(1, key);
      delete.executeUpdate();
    } catch (SQLException e) {
      throw SqlErrors.catalogFailure("forget pack " + key, e);
    }
  }

  private static List<Pack> packs(PreparedStatement select) throws SQLException {
    List<Pack> packs = new ArrayList<>();
    try (ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        packs.add(
            new Pack(
                rows.getString(1),
                rows.getString(2),
                rows.getLong(3),
                rows.getString(4),
                rows.getString(5),
                rows.getString(6)));
      }
    }
    return packs;
  }

  private interface Work {
    void run(Connection connection) throws SQLException;
  }

  private void inLockedTransaction(String repository, String source, Work work, String action) {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        try (PreparedStatement lock =
            connection.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
          lock.setString(1, "vigil-cas " + repository + "/" + source);
          lock.execute();
        }
        work.run(connection);
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw SqlErrors.catalogFailure(action, e);
    }
  }
}
