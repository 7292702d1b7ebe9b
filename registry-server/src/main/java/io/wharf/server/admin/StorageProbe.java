package io.wharf.server.admin;

import io.wharf.core.storage.StorageDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * <p>For a filesystem store, the free space of its directory comes along (no reserve is enforced
 * yet; a {@code minFree} check can read it from here).
 */
public final class StorageProbe {
  private static final String PREFIX = "/docker/registry/v2/_wharf/health/";

  /**
   * @param readable a read of the store answered (even if the object was missing)
   * @param writable the write, the read-back and the delete succeeded
   * @param error what failed; null if nothing did
   * @param usableBytes free space of a filesystem store's directory; null for other stores
   */
  public record Outcome(boolean readable, boolean writable, String error, Long usableBytes, Instant at) {}

  private final String store;
  private final StorageDriver driver;
  private final Path fileRoot;
  private final Clock clock;
  private final Duration ttl;
  /** One object per node, so nodes sharing a bucket never delete each other's probe. */
  private final String path = PREFIX + UUID.randomUUID();
  private Outcome last;

  /** @param fileRoot a filesystem store's directory, for its free space; null for other stores */
  public StorageProbe(String store, StorageDriver driver, Path fileRoot, Clock clock, Duration ttl) {
    this.store = Objects.requireNonNull(store);
    this.driver = Objects.requireNonNull(driver);
    this.fileRoot = fileRoot;
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
    if (fileRoot == null) {
      return null;
    }
    try {
      return Files.getFileStore(Files.exists(fileRoot) ? fileRoot : fileRoot.getParent()).getUsableSpace();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
