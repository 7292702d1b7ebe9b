package io.wharf.core.storage;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import java.time.Duration;
import java.util.Optional;

/**
 * A small in-memory cache of metadata that is expensive to read on every request (manifest
 * bytes, tag -> digest). Only hits are cached, never absence. This node's own writes invalidate
 * entries at once; writes by other nodes sharing the storage become visible after {@code ttl}.
 * A zero ttl disables caching.
 */
final class MetadataCache<K, V> {
  private final Cache<K, V> cache;

  MetadataCache(Duration ttl, long maximumSize) {
    this.cache = ttl.isZero() || ttl.isNegative()
        ? null
        : CacheBuilder.newBuilder().expireAfterWrite(ttl).maximumSize(maximumSize).build();
  }

  Optional<V> get(K key) {
    return cache == null ? Optional.empty() : Optional.ofNullable(cache.getIfPresent(key));
  }

  void put(K key, V value) {
    if (cache != null) {
      cache.put(key, value);
    }
  }

  void invalidate(K key) {
    if (cache != null) {
      cache.invalidate(key);
    }
  }

  void invalidateAll() {
    if (cache != null) {
      cache.invalidateAll();
    }
  }
}
