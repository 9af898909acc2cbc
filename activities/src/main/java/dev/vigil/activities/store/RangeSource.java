package dev.vigil.activities.store;

import java.io.InputStream;

/**
 * Content that can be read from any byte offset, such as another store's object through ranged GETs
 * ({@code offset -> from.open(key, offset)}): a copy between repositories streams from one into the
 * other without holding the object in memory or on disk.
 */
@FunctionalInterface
public interface RangeSource {

  /** The content from byte {@code offset} on; the caller closes the stream. */
  InputStream open(long offset);
}
