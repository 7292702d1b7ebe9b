package io.wharf.core.upload;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Upload ids are version-7 UUIDs: random, like distribution's, but their first 48 bits are the
 * start time in milliseconds. An upload needs no separate start-time file, so starting one
 * creates a single file in storage, the one its bytes go into.
 */
public final class UploadIds {
  private UploadIds() {}

  static String next(Instant now) {
    UUID random = UUID.randomUUID(); // variant bits already set; version bits replaced below
    long msb = (now.toEpochMilli() << 16) | 0x7000L | (random.getMostSignificantBits() & 0x0FFFL);
    return new UUID(msb, random.getLeastSignificantBits()).toString();
  }

  /**
   * When the upload named {@code id} started, if the id is a version-7 UUID.
   *
   * @param id an upload id
   * @return when it started, or empty for an id of another kind (e.g. written by distribution)
   */
  public static Optional<Instant> startedAt(String id) {
    if (id.length() != 36) {
      return Optional.empty();
    }
    try {
      UUID uuid = UUID.fromString(id);
      return uuid.version() == 7
          ? Optional.of(Instant.ofEpochMilli(uuid.getMostSignificantBits() >>> 16))
          : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
