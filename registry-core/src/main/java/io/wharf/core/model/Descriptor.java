package io.wharf.core.model;

import java.util.Objects;

/**
 * What a registry says about a piece of content: its media type, digest and size. For blobs the
 * media type is what the manifest said (or {@code application/octet-stream} when unknown).
 */
public record Descriptor(String mediaType, Digest digest, long size) {
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
