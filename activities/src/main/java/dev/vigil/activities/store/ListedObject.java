package dev.vigil.activities.store;

import java.time.Instant;

/**
 * An object as a listing describes it: no metadata, but its size and when the store last wrote it
 * (S3's {@code LastModified}), which is all a listing returns and costs no request per object.
 */
public record ListedObject(String key, long size, Instant lastModified) {}
