package io.wharf.testkit;

import io.wharf.core.manifest.Manifest;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * A manifest as a registry holds it ({@link TestRegistry#manifest}, {@link
 * TestRepository#manifest}), with the accessors of a fixture's {@link TestImage.Image}: {@code
 * digest()}, {@code mediaType()}, {@code bytes()}, {@code config()} and {@code layers()} whose
 * entries have {@code digest()}, {@code mediaType()} and {@code size()}.
 * An index has {@code children()} instead, each with its platform. Immutable.
 */
public final class StoredManifest implements Described {
  private final String mediaType;
  private final Digest digest;
  private final byte[] bytes;
  private final Optional<OciDescriptor> config;
  private final List<OciDescriptor> layers;
  private final List<OciDescriptor> children;
  private final Map<String, String> annotations;

  private StoredManifest(String mediaType, Digest digest, byte[] bytes, Optional<OciDescriptor> config,
      List<OciDescriptor> layers, List<OciDescriptor> children, Map<String, String> annotations) {
    this.mediaType = mediaType;
    this.digest = digest;
    this.bytes = bytes;
    this.config = config;
    this.layers = layers;
    this.children = children;
    this.annotations = annotations;
  }

  static StoredManifest of(Manifest m) {
    List<OciDescriptor> children = new ArrayList<>();
    JsonNode entries = m.children().isEmpty() ? null : platformsOf(m.bytes());
    for (int i = 0; i < m.children().size(); i++) {
      JsonNode p = entries == null ? null : entries.path(i).path("platform");
      Optional<TestImage.Platform> platform = p == null || !p.hasNonNull("os") || !p.hasNonNull("architecture")
          ? Optional.empty()
          : Optional.of(new TestImage.Platform(p.get("os").asString(), p.get("architecture").asString(),
              p.path("variant").asString(null)));
      children.add(descriptor(m.children().get(i), platform));
    }
    return new StoredManifest(m.mediaType(), m.digest(), m.bytes(), m.config().map(d -> descriptor(d, Optional.empty())),
        m.layers().stream().map(l -> descriptor(l.descriptor(), Optional.empty())).toList(), List.copyOf(children),
        Map.copyOf(m.annotations()));
  }

  private static JsonNode platformsOf(byte[] index) {
    try {
      return TestImages.JSON.readTree(index).path("manifests");
    } catch (JacksonException e) {
      return null; // the registry parsed it, so this does not happen; without platforms if it did
    }
  }

  private static OciDescriptor descriptor(Descriptor d, Optional<TestImage.Platform> platform) {
    return new OciDescriptor(d.mediaType(), d.digest(), d.size(), platform);
  }

  /** {@return the media type it was pushed with, without parameters} */
  @Override
  public String mediaType() {
    return mediaType;
  }

  /** {@return the digest of {@link #bytes()}: what {@code Docker-Content-Digest} says} */
  @Override
  public Digest digest() {
    return digest;
  }

  @Override
  public long size() {
    return bytes.length;
  }

  /** {@return the exact body as served; do not modify it} */
  public byte[] bytes() {
    return bytes;
  }

  /** {@return an image manifest's layers, in order; empty for an index} */
  public List<OciDescriptor> layers() {
    return layers;
  }

  /** {@return an index's manifests, in order, with their platforms; empty for an image manifest} */
  public List<OciDescriptor> children() {
    return children;
  }

  /** {@return the top-level annotations (empty if none)} */
  public Map<String, String> annotations() {
    return annotations;
  }

  /** {@return true for an index (OCI image index or Docker manifest list)} */
  public boolean isIndex() {
    return MediaTypes.INDEXES.contains(mediaType);
  }

  /**
   * {@return the config blob of an image manifest; fails for an index, which has none (see {@link
   * #children()})}
   */
  public OciDescriptor config() {
    return config.orElseThrow(() -> new IllegalStateException(
        digest + " is " + (isIndex() ? "an index: it has no config; see children() or child(platform)" : "without a config")));
  }

  /**
   * An index's manifest for {@code platform} ({@code linux/arm64}, {@code linux/arm64/v8}).
   *
   * @param platform the platform; without a variant it matches any variant
   * @return the first of the index's manifests for that platform
   * @throws IllegalArgumentException if the index has none for it, or {@code platform} is malformed
   */
  public OciDescriptor child(String platform) {
    TestImage.Platform wanted = TestImage.Platform.parse(platform);
    return children.stream().filter(c -> c.platform().filter(wanted::matches).isPresent()).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no manifest for " + platform + " in " + digest + "; it has "
            + children.stream().map(c -> c.platform().map(Object::toString).orElse("?")).toList()));
  }

  @Override
  public String toString() {
    return "StoredManifest[" + mediaType + " " + digest + ", " + (isIndex() ? children.size() + " manifests"
        : layers.size() + " layers") + "]";
  }
}
