package dev.vigil.activities.store;

import java.util.Map;

/** An object as the store describes it (HEAD). */
public record StoredObject(
    String key, long size, String storageClass, Map<String, String> metadata, String eTag) {}
