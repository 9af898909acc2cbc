package dev.vigil.activities.store;

import java.io.InputStream;

/**
 * The body of a ranged read and the size of the whole object as the store reported it in the same
 * response, so a reader can tell a body that ends where the store says the object ends (a short
 * object) from one that broke off.
 *
 * @param stream the bytes from the requested offset on; the caller closes it
 * @param objectSize the object's total size in bytes as this response reports it, or -1 if it
 *     reports none
 */
public record ObjectBody(InputStream stream, long objectSize) {}
