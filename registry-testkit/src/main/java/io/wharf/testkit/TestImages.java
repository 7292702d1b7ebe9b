package io.wharf.testkit;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.testkit.TestImage.Content;
import io.wharf.testkit.TestImage.Image;
import io.wharf.testkit.TestImage.Layer;
import io.wharf.testkit.TestImage.Platform;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds container images for tests: real gzipped tar layers of random bytes, a config whose
 * {@code rootfs.diff_ids} match them, a manifest per platform and, for several platforms, an
 * index. The same seed and the same calls give the same bytes, so digests can be written into
 * a test.
 *
 * <pre>
 * TestImage image = TestImages.random().seed(42)
 *     .layers(3, 4096)
 *     .platforms("linux/amd64", "linux/arm64")
 *     .build();
 * registry.push("team/app", "1.0", image);
 * image.digest();            // the index's digest
 * image.images().get(1);     // the linux/arm64 manifest, config and layers
 * </pre>
 *
 * Everything is held in memory: keep layers small (kilobytes to a few megabytes).
 */
public final class TestImages {
  static final ObjectMapper JSON = JsonMapper.builder().build();

  private TestImages() {}

  /**
   * {@return a builder with a random seed (see {@link TestImage#seed()} to reproduce a failure)}
   */
  public static Builder random() {
    return new Builder(ThreadLocalRandom.current().nextLong());
  }

  /**
   * A builder with a fixed seed: the same calls always give the same bytes.
   *
   * @param seed the seed of every random byte and choice
   * @return a new builder
   */
  public static Builder seeded(long seed) {
    return new Builder(seed);
  }

  /** The manifest flavour of the built image. */
  public enum Format {
    /** OCI image manifest, config and index media types (the default). */
    OCI,
    /** Docker schema 2 manifest, config and manifest list. */
    DOCKER
  }

  /** A step builder; each call returns the builder. Not thread-safe. */
  public static final class Builder {
    private long seed;
    private int layerCount = 1;
    private int layerBytes = 1024;
    private final List<Map.Entry<String, byte[]>> files = new ArrayList<>();
    private final List<Platform> platforms = new ArrayList<>();
    private final Map<String, String> labels = new LinkedHashMap<>();
    private Format format = Format.OCI;
    private boolean forceIndex;

    private Builder(long seed) {
      this.seed = seed;
    }

    /**
     * Replaces the seed the builder started with (see {@link TestImages#seeded(long)}).
     *
     * @param seed the seed of every random byte and choice
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * {@code count} layers of random content, each one file of {@code bytes} bytes (default: 1 of
     * 1024).
     *
     * @param count how many random layers; 0 for none
     * @param bytes the size of the file in each
     * @return this builder
     * @throws IllegalArgumentException if either is negative
     */
    public Builder layers(int count, int bytes) {
      if (count < 0 || bytes < 0) {
        throw new IllegalArgumentException("layers(" + count + ", " + bytes + ")");
      }
      this.layerCount = count;
      this.layerBytes = bytes;
      return this;
    }

    /**
     * An extra layer, after the random ones, holding one file at {@code path} with {@code content}.
     * Each call adds one layer, in call order.
     *
     * @param path the file's path in the layer, e.g. {@code app/config.txt}
     * @param content the file's bytes (copied)
     * @return this builder
     */
    public Builder file(String path, byte[] content) {
      files.add(Map.entry(Objects.requireNonNull(path), content.clone()));
      return this;
    }

    /**
     * An extra layer holding one UTF-8 text file; as {@link #file(String, byte[])}.
     *
     * @param path the file's path in the layer
     * @param content the file's text
     * @return this builder
     */
    public Builder file(String path, String content) {
      return file(path, content.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * One image per platform ({@code os/architecture[/variant]}, e.g. {@code linux/arm64/v8});
     * with two or more the result is an index. Default: {@code linux/amd64}.
     *
     * @param platforms the platforms, replacing any given before
     * @return this builder
     * @throws IllegalArgumentException if a platform is malformed
     */
    public Builder platforms(String... platforms) {
      this.platforms.clear();
      for (String p : platforms) {
        this.platforms.add(Platform.parse(p));
      }
      return this;
    }

    /**
     * A label in every config ({@code config.Labels}).
     *
     * @param key the label's name
     * @param value its value
     * @return this builder
     */
    public Builder label(String key, String value) {
      labels.put(key, value);
      return this;
    }

    /**
     * The manifest flavour: OCI (the default) or Docker schema 2.
     *
     * @param format the media types to use
     * @return this builder
     */
    public Builder format(Format format) {
      this.format = Objects.requireNonNull(format);
      return this;
    }

    /**
     * Docker schema 2 media types instead of OCI ones.
     *
     * @return this builder
     */
    public Builder dockerFormat() {
      return format(Format.DOCKER);
    }

    /**
     * Wrap even a single platform in an index.
     *
     * @return this builder
     */
    public Builder index() {
      this.forceIndex = true;
      return this;
    }

    /**
     * Builds the image: layers, configs, manifests and, for several platforms, the index. The
     * builder can be changed and built again.
     *
     * @return the image, in memory
     */
    public TestImage build() {
      SplittableRandom random = new SplittableRandom(seed);
      List<Platform> targets = platforms.isEmpty() ? List.of(Platform.parse("linux/amd64")) : List.copyOf(platforms);
      List<Image> images = new ArrayList<>();
      for (Platform platform : targets) {
        images.add(image(platform, random));
      }
      Content index = null;
      if (forceIndex || images.size() > 1) {
        index = index(images);
      }
      return new TestImage(seed, index, images);
    }

    private Image image(Platform platform, SplittableRandom random) {
      List<Layer> layers = new ArrayList<>();
      for (int i = 0; i < layerCount; i++) {
        byte[] payload = new byte[layerBytes];
        random.nextBytes(payload);
        layers.add(layer("wharf-test/" + platform.slug() + "/layer-" + i + ".bin", payload));
      }
      for (Map.Entry<String, byte[]> f : files) {
        layers.add(layer(f.getKey(), f.getValue()));
      }

      ObjectNode config = JSON.createObjectNode();
      config.put("created", "1970-01-01T00:00:00Z");
      config.put("architecture", platform.architecture());
      config.put("os", platform.os());
      if (platform.variant() != null) {
        config.put("variant", platform.variant());
      }
      ObjectNode cfg = config.putObject("config");
      cfg.putArray("Env").add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
      ObjectNode labelNode = cfg.putObject("Labels");
      labelNode.put("io.wharf.testkit.seed", Long.toString(seed));
      labels.forEach(labelNode::put);
      ObjectNode rootfs = config.putObject("rootfs");
      rootfs.put("type", "layers");
      ArrayNode diffIds = rootfs.putArray("diff_ids");
      ArrayNode history = config.putArray("history");
      for (Layer l : layers) {
        diffIds.add(l.diffId().value());
        history.addObject().put("created", "1970-01-01T00:00:00Z").put("created_by", "TestImages");
      }
      Content configBlob = content(format == Format.OCI ? MediaTypes.OCI_CONFIG : MediaTypes.DOCKER_CONFIG,
          JSON.writeValueAsBytes(config));

      ObjectNode manifest = JSON.createObjectNode();
      manifest.put("schemaVersion", 2);
      manifest.put("mediaType", format == Format.OCI ? MediaTypes.OCI_MANIFEST : MediaTypes.DOCKER_MANIFEST);
      manifest.set("config", descriptor(configBlob));
      ArrayNode layerArray = manifest.putArray("layers");
      layers.forEach(l -> layerArray.add(descriptor(l.blob())));
      Content manifestBlob = content(format == Format.OCI ? MediaTypes.OCI_MANIFEST : MediaTypes.DOCKER_MANIFEST,
          JSON.writeValueAsBytes(manifest));
      return new Image(platform, manifestBlob, configBlob, List.copyOf(layers));
    }

    private Layer layer(String path, byte[] payload) {
      try {
        ByteArrayOutputStream tar = new ByteArrayOutputStream(payload.length + 3 * Tar.BLOCK);
        Tar.writeEntry(tar, path, payload);
        Tar.writeEnd(tar);
        byte[] tarBytes = tar.toByteArray();
        ByteArrayOutputStream gz = new ByteArrayOutputStream(tarBytes.length + 64);
        try (OutputStream out = new StoredGzip(gz)) {
          out.write(tarBytes);
        }
        String mediaType = format == Format.OCI ? MediaTypes.OCI_LAYER_TAR_GZIP : MediaTypes.DOCKER_LAYER;
        return new Layer(content(mediaType, gz.toByteArray()), Digest.sha256(tarBytes), tarBytes);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private Content index(List<Image> images) {
      String type = format == Format.OCI ? MediaTypes.OCI_INDEX : MediaTypes.DOCKER_MANIFEST_LIST;
      ObjectNode index = JSON.createObjectNode();
      index.put("schemaVersion", 2);
      index.put("mediaType", type);
      ArrayNode manifests = index.putArray("manifests");
      for (Image image : images) {
        ObjectNode d = descriptor(image.manifest());
        ObjectNode p = d.putObject("platform");
        p.put("architecture", image.platform().architecture());
        p.put("os", image.platform().os());
        if (image.platform().variant() != null) {
          p.put("variant", image.platform().variant());
        }
        manifests.add(d);
      }
      return content(type, JSON.writeValueAsBytes(index));
    }
  }

  static ObjectNode descriptor(Content c) {
    ObjectNode n = JSON.createObjectNode();
    n.put("mediaType", c.mediaType());
    n.put("digest", c.digest().value());
    n.put("size", c.size());
    return n;
  }

  static Content content(String mediaType, byte[] bytes) {
    return new Content(mediaType, Digest.sha256(bytes), bytes);
  }

  /**
   * gzip of stored (uncompressed) deflate blocks: a valid gzip stream that costs no CPU and is
   * byte-for-byte the same with every zlib (random bytes would not compress anyway).
   */
  private static final class StoredGzip extends GZIPOutputStream {
    StoredGzip(OutputStream out) throws IOException {
      super(out, 1 << 16);
      def.setLevel(Deflater.NO_COMPRESSION);
    }
  }
}
