package io.wharf.server.admin;

import io.wharf.core.storage.StorageDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;

/**
 * Whether one blob store can be read and written now: writes a small object under Wharf's private
 * {@code _wharf/health/} prefix, reads it back, deletes it. The outcome is kept for {@code ttl},
 * so load balancers polling {@code /health/ready} every second cost the store one write every few
 * seconds, and concurrent polls share one probe.
 *
 * <p>The store's free space comes along where its driver reports one ({@link StorageDriver#space()}:
 * file stores, memory stores with a size limit).
 */
final class StorageProbe {
  private static final String PREFIX = "/docker/registry/v2/_wharf/health/";

  /**
   * @param readable a read of the store answered (even if the object was missing)
   * @param writable the write, the read-back and the delete succeeded
   * @param error what failed; null if nothing did
   * @param usableBytes the store's free space; null where its driver reports none
   */
  public record Outcome(boolean readable, boolean writable, String error, Long usableBytes, Instant at) {}

  private final String store;
  private final StorageDriver driver;
  private final Clock clock;
  private final Duration ttl;
  /** One object per node, so nodes sharing a bucket never delete each other's probe. */
  private final String path = PREFIX + UUID.randomUUID();
  private Outcome last;

  public StorageProbe(String store, StorageDriver driver, Clock clock, Duration ttl) {
    this.store = Objects.requireNonNull(store);
    this.driver = Objects.requireNonNull(driver);
    this.clock = Objects.requireNonNull(clock);
    this.ttl = Objects.requireNonNull(ttl);
  }

  public String store() {
    return store;
  }

  /** The last outcome if younger than the ttl, else a fresh probe. */
  public synchronized Outcome outcome() {
    Instant now = clock.instant();
    if (last == null || !last.at().plus(ttl).isAfter(now)) {
      last = probe(now);
    }
    return last;
  }

  private Outcome probe(Instant now) {
    Long usable = usableBytes();
    boolean readable = false;
    try {
      driver.stat(path);
      readable = true;
      byte[] content = now.toString().getBytes(StandardCharsets.UTF_8);
      driver.putContent(path, content);
      byte[] back = driver.getContent(path).orElse(null);
      driver.delete(path);
      if (!Arrays.equals(content, back)) {
        return new Outcome(true, false, "a written object read back different", usable, now);
      }
      return new Outcome(true, true, null, usable, now);
    } catch (IOException | RuntimeException e) {
      return new Outcome(readable, false, e.toString(), usable, now);
    }
  }

  private Long usableBytes() {
    try {
      return driver.space().map(StorageDriver.Space::freeBytes).orElse(null);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
