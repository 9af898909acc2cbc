package dev.vigil.activities.source.mongo;

/**
 * One collection of a MongoDB backup, as recorded in its manifest.
 *
 * @param documents the documents written to its {@code .bson} file
 * @param bytes the size of its {@code .bson} file
 * @param indexes the indexes recorded in its {@code .metadata.json}, {@code _id_} included
 */
public record CollectionDump(
    String database, String collection, long documents, long bytes, int indexes) {

  /** {@code app.users}. */
  public String namespace() {
    return database + "." + collection;
  }
}
