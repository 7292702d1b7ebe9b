package io.wharf.testkit;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An image built by {@link TestImages}: its layers, configs, manifests and (for several
 * platforms) index, with their digests. Immutable; the byte arrays it hands out are its own,
 * so do not modify them.
 */
public final class TestImage implements Described {
  /** OCI's annotation naming a tag in an image layout's {@code index.json}. */
  public static final String REF_NAME = "org.opencontainers.image.ref.name";

  /**
   * A piece of content-addressed content: a layer, a config or a manifest.
   *
   * @param mediaType the media type it is pushed with
   * @param digest the digest of {@code bytes}
   * @param bytes the content itself; do not modify it
   */
  public record Content(String mediaType, Digest digest, byte[] bytes) implements Described {
    @Override
    public long size() {
      return bytes.length;
    }

    @Override
    public String toString() {
      return mediaType + " " + digest + " (" + bytes.length + " bytes)";
    }
  }

  /**
   * One layer: the blob as pushed (a gzipped tar), its {@code diff_id} (the digest of the tar)
   * and the tar itself.
   *
   * @param blob the blob as pushed: the gzipped tar
   * @param diffId the digest of the uncompressed tar, as the config's {@code rootfs.diff_ids} lists
   *     it
   * @param tar the uncompressed tar; do not modify it
   */
  public record Layer(Content blob, Digest diffId, byte[] tar) implements Described {
    /** {@return the digest of the blob as pushed (the gzipped tar): what a manifest lists} */
    @Override
    public Digest digest() {
      return blob.digest();
    }

    @Override
    public String mediaType() {
      return blob.mediaType();
    }

    /** {@return the size of the blob as pushed} */
    @Override
    public long size() {
      return blob.size();
    }
  }

  /**
   * A platform, {@code os/architecture[/variant]}, as an index names it; {@link #parse} reads
   * the usual notation.
   *
   * @param os the operating system, e.g. {@code linux}
   * @param architecture the CPU architecture, e.g. {@code amd64}
   * @param variant the CPU variant, e.g. {@code v8}, or {@code null} for none
   */
  public record Platform(String os, String architecture, String variant) {
    /**
     * Creates a platform.
     *
     * @param os the operating system, e.g. {@code linux}
     * @param architecture the CPU architecture, e.g. {@code amd64}
     * @param variant the CPU variant, e.g. {@code v8}, or {@code null} for none
     * @throws NullPointerException if {@code os} or {@code architecture} is null
     */
    public Platform {
      Objects.requireNonNull(os, "os");
      Objects.requireNonNull(architecture, "architecture");
    }

    /**
     * Parses {@code linux/amd64} or {@code linux/arm64/v8}.
     *
     * @param s the platform as {@code os/architecture[/variant]}
     * @return the platform
     * @throws IllegalArgumentException if {@code s} is not of that form
     */
    public static Platform parse(String s) {
      String[] parts = s.split("/");
      if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
        throw new IllegalArgumentException("platform must be os/architecture[/variant]: " + s);
      }
      return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : null);
    }

    /** True if {@code other} is this platform, or this one without a variant names {@code other}'s os and architecture. */
    boolean matches(Platform other) {
      return equals(other) || (variant == null && os.equals(other.os) && architecture.equals(other.architecture));
    }

    String slug() {
      return os + "-" + architecture + (variant == null ? "" : "-" + variant);
    }

    @Override
    public String toString() {
      return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }
  }

  /**
   * The image of one platform: its manifest, config and layers. The accessors a {@link
   * StoredManifest} read back from a registry has too: {@code digest()}, {@code mediaType()},
   * {@code config().digest()}, {@code layers().get(i).digest()}.
   *
   * @param platform the platform it is for
   * @param manifest its image manifest
   * @param config its config blob
   * @param layers its layers, in order
   */
  public record Image(Platform platform, Content manifest, Content config, List<Layer> layers) implements Described {
    /** {@return the manifest's digest} */
    @Override
    public Digest digest() {
      return manifest.digest();
    }

    /** {@return the manifest's media type} */
    @Override
    public String mediaType() {
      return manifest.mediaType();
    }

    /** {@return the manifest's size} */
    @Override
    public long size() {
      return manifest.size();
    }

    /**
     * Writes this platform's image as {@code docker save} does, tagged {@code repoTag}
     * ({@code team/app:1.0}): see {@link TestImage#writeDockerArchive(Path, String)}.
     *
     * @param file the archive to write (replaced if it exists)
     * @param repoTag the tag {@code docker load} gives it, e.g. {@code team/app:1.0}
     * @return {@code file}
     * @throws java.io.UncheckedIOException if the file cannot be written
     */
    public Path writeDockerArchive(Path file, String repoTag) {
      return TestImage.writeDockerArchive(this, file, repoTag);
    }
  }

  private final long seed;
  private final Content index;
  private final List<Image> images;

  TestImage(long seed, Content index, List<Image> images) {
    this.seed = seed;
    this.index = index;
    this.images = List.copyOf(images);
  }

  /**
   * {@return the seed it was built from: {@code TestImages.seeded(seed)} with the same calls
   * rebuilds it}
   */
  public long seed() {
    return seed;
  }

  /** {@return the index, if the image has several platforms (or was built with {@code index()})} */
  public Optional<Content> index() {
    return Optional.ofNullable(index);
  }

  /** {@return true if the top-level manifest is an index} */
  public boolean isIndex() {
    return index != null;
  }

  /** {@return the image of each platform, in the order the platforms were given} */
  public List<Image> images() {
    return images;
  }

  /** {@return the only platform's image; fails for an index of several} */
  public Image image() {
    if (images.size() != 1) {
      throw new IllegalStateException("this image has " + images.size() + " platforms; use image(platform)");
    }
    return images.get(0);
  }

  /**
   * The image of one platform.
   *
   * @param platform the platform, e.g. {@code linux/arm64}; without a variant it matches any
   * @return its image
   * @throws IllegalArgumentException if this image has no such platform, or {@code platform} is
   *     malformed
   */
  public Image image(String platform) {
    Platform p = Platform.parse(platform);
    return images.stream()
        .filter(i -> p.matches(i.platform()))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no image for " + platform + " in " + this));
  }

  /** {@return what a tag points at: the index, or the only manifest} */
  public Content manifest() {
    return index != null ? index : images.get(0).manifest();
  }

  /** {@return the digest a tag resolves to (the index's, or the only manifest's)} */
  @Override
  public Digest digest() {
    return manifest().digest();
  }

  @Override
  public String mediaType() {
    return manifest().mediaType();
  }

  /** {@return the size of what a tag points at} */
  @Override
  public long size() {
    return manifest().size();
  }

  /** {@return every config and layer blob, without duplicates, in push order} */
  public List<Content> blobs() {
    Map<Digest, Content> out = new LinkedHashMap<>();
    for (Image i : images) {
      for (Layer l : i.layers()) {
        out.putIfAbsent(l.digest(), l.blob());
      }
      out.putIfAbsent(i.config().digest(), i.config());
    }
    return List.copyOf(out.values());
  }

  /** {@return every manifest in push order: the platforms' manifests, then the index if any} */
  public List<Content> manifests() {
    List<Content> out = new ArrayList<>();
    images.forEach(i -> out.add(i.manifest()));
    if (index != null) {
      out.add(index);
    }
    return out;
  }

  /** {@return the digest of every blob and manifest} */
  public List<Digest> digests() {
    List<Digest> out = new ArrayList<>();
    blobs().forEach(c -> out.add(c.digest()));
    manifests().forEach(c -> out.add(c.digest()));
    return out;
  }

  /**
   * Writes this image into an OCI image layout at {@code dir} (created if absent, added to if it
   * already holds a layout), tagged {@code tag} in {@code index.json}. {@code skopeo copy
   * oci:DIR:TAG ...} reads it, as does {@link TestRegistry#pushOciLayout}.
   *
   * @param dir the layout's directory
   * @param tag the tag to give it in {@code index.json} (an existing entry of that tag moves)
   * @return {@code dir}
   * @throws java.io.UncheckedIOException if the layout cannot be read or written
   */
  public Path writeOciLayout(Path dir, String tag) {
    try {
      Files.createDirectories(dir.resolve("blobs/sha256"));
      Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
      for (Content c : blobs()) {
        writeBlob(dir, c);
      }
      for (Content c : manifests()) {
        writeBlob(dir, c);
      }
      Path indexFile = dir.resolve("index.json");
      ObjectNode index;
      if (Files.exists(indexFile)) {
        index = (ObjectNode) TestImages.JSON.readTree(Files.readAllBytes(indexFile));
      } else {
        index = TestImages.JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        index.putArray("manifests");
      }
      ArrayNode manifests = (ArrayNode) index.get("manifests");
      for (int i = manifests.size() - 1; i >= 0; i--) {
        JsonNode old = manifests.get(i);
        if (tag.equals(old.path("annotations").path(REF_NAME).asString(null))) {
          manifests.remove(i); // the tag moves, as with skopeo
        }
      }
      ObjectNode entry = TestImages.descriptor(manifest());
      entry.putObject("annotations").put(REF_NAME, tag);
      manifests.add(entry);
      Path tmp = dir.resolve("index.json.tmp");
      Files.write(tmp, TestImages.JSON.writeValueAsBytes(index));
      Files.move(tmp, indexFile, StandardCopyOption.REPLACE_EXISTING);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeBlob(Path dir, Content c) throws IOException {
    Path p = dir.resolve("blobs").resolve(c.digest().algorithm()).resolve(c.digest().hex());
    if (!Files.exists(p)) {
      Files.write(p, c.bytes());
    }
  }

  /**
   * Writes this image as {@code docker save} does (the classic layout: {@code manifest.json},
   * {@code <config>.json}, {@code <layer>/layer.tar} with uncompressed layers), tagged
   * {@code repoTag} ({@code team/app:1.0}). {@link TestRegistry#pushDockerArchive} reads it back,
   * as does {@code docker load}. A docker archive holds one platform's image: for an image of
   * several platforms, say which one with {@link #writeDockerArchive(Path, String, String)}.
   *
   * @param file the archive to write (replaced if it exists)
   * @param repoTag the tag {@code docker load} gives it, e.g. {@code team/app:1.0}
   * @return {@code file}
   * @throws IllegalStateException for an image of several platforms
   * @throws java.io.UncheckedIOException if the file cannot be written
   */
  public Path writeDockerArchive(Path file, String repoTag) {
    if (images.size() != 1) {
      throw new IllegalStateException("a docker archive holds one platform and this image has " + images.size()
          + " " + images.stream().map(i -> i.platform().toString()).toList() + ": use writeDockerArchive(file, repoTag,"
          + " \"" + images.get(0).platform() + "\") or image(platform).writeDockerArchive(file, repoTag)");
    }
    return images.get(0).writeDockerArchive(file, repoTag);
  }

  /**
   * Writes the image of {@code platform} ({@code linux/arm64}; see {@link #image(String)}) as
   * {@code docker save} does, tagged {@code repoTag}.
   *
   * @param file the archive to write (replaced if it exists)
   * @param repoTag the tag {@code docker load} gives it, e.g. {@code team/app:1.0}
   * @param platform the platform, e.g. {@code linux/arm64}
   * @return {@code file}
   * @throws IllegalArgumentException if this image has no such platform
   * @throws java.io.UncheckedIOException if the file cannot be written
   */
  public Path writeDockerArchive(Path file, String repoTag, String platform) {
    return image(platform).writeDockerArchive(file, repoTag);
  }

  private static Path writeDockerArchive(Image image, Path file, String repoTag) {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      String configName = image.config().digest().hex() + ".json";
      Tar.writeEntry(out, configName, image.config().bytes());
      ArrayNode layerNames = TestImages.JSON.createArrayNode();
      for (Layer l : image.layers()) {
        String name = l.diffId().hex() + "/layer.tar";
        Tar.writeEntry(out, l.diffId().hex() + "/VERSION", "1.0".getBytes(StandardCharsets.UTF_8));
        Tar.writeEntry(out, name, l.tar());
        layerNames.add(name);
      }
      ArrayNode manifest = TestImages.JSON.createArrayNode();
      ObjectNode entry = manifest.addObject();
      entry.put("Config", configName);
      entry.putArray("RepoTags").add(repoTag);
      entry.set("Layers", layerNames);
      Tar.writeEntry(out, "manifest.json", TestImages.JSON.writeValueAsBytes(manifest));
      Tar.writeEnd(out);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "TestImage[" + digest() + ", seed " + seed + ", platforms "
        + images.stream().map(i -> i.platform().toString()).toList() + "]";
  }
}
