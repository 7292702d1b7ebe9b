package io.wharf.testkit;

import io.wharf.core.model.Digest;
import java.util.Objects;
import java.util.Optional;

/**
 * A reference from a manifest to other content, as OCI's descriptor: a layer, a config, or (in
 * an index) a platform's manifest.
 *
 * @param mediaType the media type the manifest gives it
 * @param digest its digest
 * @param size its size in bytes
 * @param platform for an index's child: the platform the index names for it
 */
public record OciDescriptor(String mediaType, Digest digest, long size, Optional<TestImage.Platform> platform)
    implements Described {
  /**
   * Creates a descriptor.
   *
   * @param mediaType the media type the manifest gives it
   * @param digest its digest
   * @param size its size in bytes
   * @param platform for an index's child: the platform the index names for it, else empty
   * @throws NullPointerException if {@code mediaType}, {@code digest} or {@code platform} is null
   */
  public OciDescriptor {
    Objects.requireNonNull(mediaType, "mediaType");
    Objects.requireNonNull(digest, "digest");
    Objects.requireNonNull(platform, "platform");
  }

  @Override
  public String toString() {
    return mediaType + " " + digest + " (" + size + " bytes" + platform.map(p -> ", " + p).orElse("") + ")";
  }
}
