package dev.vigil.activities.source.mongo;

/**
 * A query a restored MongoDB copy must satisfy: the number of documents of {@code collection}
 * matching {@code filter} lies between {@code minCount} and {@code maxCount}.
 *
 * @param database the collection's database; null when the source has one database
 * @param filter a query document as Extended JSON, e.g. {@code {"active": true}}
 * @param maxCount -1 for no upper bound
 */
public record MongoValidation(
    String database, String collection, String filter, long minCount, long maxCount) {

  /** How the validation reads in results: {@code app.users {"active": true} >= 1}. */
  public String describe() {
    return (database == null ? "" : database + ".")
        + collection
        + " "
        + filter
        + " >= "
        + minCount
        + (maxCount >= 0 ? " and <= " + maxCount : "");
  }
}
