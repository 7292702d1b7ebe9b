package io.wharf.core.manifest;

import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed manifest: the exact bytes as pushed (which are the bytes served, so digests never
 * change) and what they reference. Build it with {@link ManifestParser}.
 *
 * @param mediaType the media type it was pushed with, without parameters
 * @param digest the digest of {@code bytes}
 * @param bytes the exact body; callers must not modify it
 * @param config the config blob of an image manifest; empty for an index
 * @param layers the layers of an image manifest; empty for an index
 * @param children the child manifests of an index; empty for an image manifest
 * @param subject the manifest this one refers to (OCI 1.1 referrers), if any
 * @param artifactType the {@code artifactType} field, or {@code null}
 * @param annotations the top-level annotations; never {@code null}
 */
public record Manifest(
    String mediaType,
    Digest digest,
    byte[] bytes,
    Optional<Descriptor> config,
    List<Layer> layers,
    List<Descriptor> children,
    Optional<Descriptor> subject,
    String artifactType,
    Map<String, String> annotations) {

  /**
   * A layer descriptor; {@code urls} non-empty marks a foreign (non-distributable) layer.
   *
   * @param descriptor the layer's media type, digest and size
   * @param urls where a foreign layer's bytes are; empty for an ordinary layer
   */
  public record Layer(Descriptor descriptor, List<String> urls) {
    /** {@return true for a foreign layer, whose bytes the registry does not hold} */
    public boolean isForeign() {
      return !urls.isEmpty();
    }
  }

  /**
   * The blobs this manifest needs the registry to hold: its config and its layers, except foreign
   * layers (their bytes live at their {@code urls}). Pushes check them, garbage collection and
   * cleanup keep them.
   *
   * @return their digests, config first
   */
  public List<Digest> storedBlobs() {
    List<Digest> out = new ArrayList<>(layers.size() + 1);
    config.ifPresent(c -> out.add(c.digest()));
    for (Layer layer : layers) {
      if (!layer.isForeign()) {
        out.add(layer.descriptor().digest());
      }
    }
    return out;
  }

  /** {@return true for an index (OCI image index or Docker manifest list)} */
  public boolean isIndex() {
    return MediaTypes.INDEXES.contains(mediaType);
  }

  /** {@return this manifest's media type, digest and size} */
  public Descriptor descriptor() {
    return new Descriptor(mediaType, digest, bytes.length);
  }

  /**
   * The type a referrers response reports: {@code artifactType}, else for an image manifest the
   * config's media type, else {@code null} (an index without one).
   *
   * @return the type, or {@code null}
   */
  public String effectiveArtifactType() {
    if (artifactType != null) {
      return artifactType;
    }
    return config.map(Descriptor::mediaType).orElse(null);
  }
}
