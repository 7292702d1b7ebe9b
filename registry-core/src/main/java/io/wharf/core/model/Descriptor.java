package io.wharf.core.model;

import java.util.Objects;

/**
 * What a registry says about a piece of content: its media type, digest and size. For blobs the
 * media type is what the manifest said (or {@code application/octet-stream} when unknown).
 *
 * @param mediaType the media type; never null (defaults to {@value MediaTypes#OCTET_STREAM})
 * @param digest the content's digest
 * @param size the content's size in bytes
 */
public record Descriptor(String mediaType, Digest digest, long size) {
  /**
   * Creates a descriptor; a null or empty media type becomes {@value MediaTypes#OCTET_STREAM}.
   *
   * @param mediaType the media type, or null
   * @param digest the content's digest
   * @param size the content's size in bytes
   * @throws NullPointerException if {@code digest} is null
   * @throws IllegalArgumentException if {@code size} is negative
   */
  public Descriptor {
    Objects.requireNonNull(digest, "digest");
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size);
    }
    if (mediaType == null || mediaType.isEmpty()) {
      mediaType = MediaTypes.OCTET_STREAM;
    }
  }
}
