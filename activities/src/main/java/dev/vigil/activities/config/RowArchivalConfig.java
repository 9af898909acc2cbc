package dev.vigil.activities.config;

import java.time.Duration;
import java.util.List;

/**
 * Row archival of one PostgreSQL source ({@code sources.<name>.archive-rows}): rows older than a
 * cutoff move to monthly jsonl objects and are marked archived in their table.
 *
 * @param source the source name
 * @param tables one entry per table, in the file's order
 */
public record RowArchivalConfig(String source, List<Table> tables) {

  /**
   * One table's archival.
   *
   * @param schema the table's schema ({@code public} unless the name was qualified)
   * @param table the table name
   * @param timestampColumn the column that dates a row (timestamp or timestamptz)
   * @param keyColumn a unique, non-null column that identifies a row (its primary key)
   * @param olderThan rows whose timestamp is older than this are archived
   * @param archivedColumn a {@code boolean} column Vigil sets to true once a row's file is verified
   * @param archiveKeyColumn a {@code text} column Vigil sets to the row's archive object key
   */
  public record Table(
      String schema,
      String table,
      String timestampColumn,
      String keyColumn,
      Duration olderThan,
      String archivedColumn,
      String archiveKeyColumn) {

    /** {@code schema.table}, as configured and shown in messages. */
    public String qualifiedName() {
      return schema + "." + table;
    }
  }
}
