package io.wharf.server.it;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes OCI image layouts ({@code oci-layout}, {@code index.json}, {@code blobs/sha256/..}) that
 * {@code skopeo copy oci:DIR:TAG ...} accepts, deterministically from a seed.
 *
 * <pre>{@code
 * OciLayouts src = OciLayouts.create(dir, 42);
 * OciLayouts.Index multi = src.index(
 *     src.image(Platform.LINUX_AMD64, Compression.GZIP, 2, 64 * 1024),
 *     src.image(Platform.LINUX_ARM64, Compression.GZIP, 2, 64 * 1024));
 * src.tag("1.0", multi.descriptor());
 * skopeo.copy(src.ref("1.0"), "docker://127.0.0.1:5000/team/multi:1.0", "--all");
 * }</pre>
 *
 * Layers are real tars holding one file of random (incompressible) bytes, either plain
 * ({@code ...layer.v1.tar}) or wrapped in gzip with stored deflate blocks
 * ({@code ...layer.v1.tar+gzip}), so skopeo pushes them byte-for-byte and the config's
 * {@code rootfs.diff_ids} are the real digests of the tars. Every config carries the seed and a
 * counter, so two images never share a blob. The same seed and the same calls give the same bytes.
 */
public final class OciLayouts {
  public static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String CONFIG = "application/vnd.oci.image.config.v1+json";
  public static final String REF_NAME = "org.opencontainers.image.ref.name";
  static final ObjectMapper JSON = new ObjectMapper();

  /** How layers are stored, which also decides their media type. */
  public enum Compression {
    NONE("application/vnd.oci.image.layer.v1.tar"),
    GZIP("application/vnd.oci.image.layer.v1.tar+gzip");

    public final String mediaType;

    Compression(String mediaType) {
      this.mediaType = mediaType;
    }
  }

  public record Platform(String os, String architecture, String variant) {
    public static final Platform LINUX_AMD64 = new Platform("linux", "amd64", null);
    public static final Platform LINUX_ARM64 = new Platform("linux", "arm64", "v8");
  }

  public record Descriptor(String mediaType, String digest, long size) {}

  public record Image(Descriptor manifest, Descriptor config, List<Descriptor> layers,
      Platform platform) {}

  public record Index(Descriptor descriptor, List<Image> manifests) {}

  private final Path dir;
  private final long seed;
  private final SplittableRandom random;
  private final Map<String, Descriptor> tags = new LinkedHashMap<>();
  private int images;

  private OciLayouts(Path dir, long seed) {
    this.dir = dir;
    this.seed = seed;
    this.random = new SplittableRandom(seed);
  }

  /** A new, empty layout at {@code dir} (created; must not hold a layout yet). */
  public static OciLayouts create(Path dir, long seed) {
    OciLayouts layout = new OciLayouts(dir, seed);
    try {
      Files.createDirectories(dir.resolve("blobs/sha256"));
      Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
      layout.writeIndexJson();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return layout;
  }

  public Path dir() {
    return dir;
  }

  /** The skopeo reference of a tag in this layout: {@code oci:DIR:TAG}. */
  public String ref(String tag) {
    return "oci:" + dir + ":" + tag;
  }

  /** Writes an image (layers, config, manifest) into the blobs; tag it to make it reachable. */
  public Image image(Platform platform, Compression compression, int layerCount, int layerBytes) {
    try {
      int n = ++images;
      List<Descriptor> layers = new ArrayList<>();
      ArrayNode diffIds = JSON.createArrayNode();
      for (int i = 0; i < layerCount; i++) {
        String[] layer = writeLayer(compression, layerBytes, "layer-" + n + "-" + i + ".bin");
        layers.add(new Descriptor(compression.mediaType, layer[0], Long.parseLong(layer[1])));
        diffIds.add(layer[2]);
      }
      ObjectNode config = JSON.createObjectNode();
      config.put("created", "2024-01-01T00:00:00Z");
      config.put("architecture", platform.architecture());
      config.put("os", platform.os());
      if (platform.variant() != null) {
        config.put("variant", platform.variant());
      }
      config.putObject("config").putObject("Labels")
          .put("io.wharf.test.image", seed + "-" + n);
      ObjectNode rootfs = config.putObject("rootfs");
      rootfs.put("type", "layers");
      rootfs.set("diff_ids", diffIds);
      ArrayNode history = config.putArray("history");
      for (int i = 0; i < layerCount; i++) {
        history.addObject().put("created", "2024-01-01T00:00:00Z").put("created_by", "OciLayouts");
      }
      Descriptor cfg = writeBlob(CONFIG, JSON.writeValueAsBytes(config));

      ObjectNode manifest = JSON.createObjectNode();
      manifest.put("schemaVersion", 2);
      manifest.put("mediaType", MANIFEST);
      manifest.set("config", descriptorJson(cfg));
      ArrayNode layerArray = manifest.putArray("layers");
      layers.forEach(l -> layerArray.add(descriptorJson(l)));
      Descriptor man = writeBlob(MANIFEST, JSON.writeValueAsBytes(manifest));
      return new Image(man, cfg, List.copyOf(layers), platform);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes an image index over {@code images}, each listed with its platform. */
  public Index index(Image... images) {
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", INDEX);
    ArrayNode manifests = index.putArray("manifests");
    for (Image image : images) {
      ObjectNode d = descriptorJson(image.manifest());
      ObjectNode p = d.putObject("platform");
      p.put("architecture", image.platform().architecture());
      p.put("os", image.platform().os());
      if (image.platform().variant() != null) {
        p.put("variant", image.platform().variant());
      }
      manifests.add(d);
    }
    try {
      return new Index(writeBlob(INDEX, JSON.writeValueAsBytes(index)), List.of(images));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Points {@code tag} at a manifest or index in {@code index.json}; returns this layout. */
  public OciLayouts tag(String tag, Descriptor target) {
    tags.put(tag, target);
    try {
      writeIndexJson();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  private void writeIndexJson() throws IOException {
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", INDEX);
    ArrayNode manifests = index.putArray("manifests");
    tags.forEach((tag, d) -> manifests.add(descriptorJson(d).set("annotations",
        JSON.createObjectNode().put(REF_NAME, tag))));
    Path tmp = dir.resolve("index.json.tmp");
    Files.write(tmp, JSON.writeValueAsBytes(index));
    Files.move(tmp, dir.resolve("index.json"), StandardCopyOption.REPLACE_EXISTING);
  }

  private static ObjectNode descriptorJson(Descriptor d) {
    ObjectNode n = JSON.createObjectNode();
    n.put("mediaType", d.mediaType());
    n.put("digest", d.digest());
    n.put("size", d.size());
    return n;
  }

  private Descriptor writeBlob(String mediaType, byte[] bytes) throws IOException {
    String digest = sha256(bytes);
    Files.write(blobPath(dir, digest), bytes);
    return new Descriptor(mediaType, digest, bytes.length);
  }

  /** Streams one tar layer into the blobs; returns {digest, size, diffId}. */
  private String[] writeLayer(Compression compression, int payloadBytes, String fileName)
      throws IOException {
    MessageDigest blobMd = newSha256();
    MessageDigest diffMd = newSha256();
    Path tmp = Files.createTempFile(dir.resolve("blobs/sha256"), ".layer-", ".tmp");
    long size;
    try (OutputStream file = Files.newOutputStream(tmp);
        CountingOutputStream counted = new CountingOutputStream(new BufferedOutputStream(file, 1 << 16));
        DigestOutputStream blob = new DigestOutputStream(counted, blobMd)) {
      OutputStream packed = compression == Compression.GZIP ? new StoredGzip(blob) : blob;
      try (DigestOutputStream tar = new DigestOutputStream(packed, diffMd)) {
        tar.write(Tar.header(fileName, payloadBytes));
        byte[] buf = new byte[64 * 1024];
        for (long left = payloadBytes; left > 0; ) {
          int n = (int) Math.min(left, buf.length);
          random.nextBytes(buf);
          tar.write(buf, 0, n);
          left -= n;
        }
        tar.write(new byte[Tar.padding(payloadBytes) + 2 * Tar.BLOCK]);
        if (packed instanceof StoredGzip gz) {
          gz.finish();
        }
        blob.flush();
        size = counted.count;
      }
    }
    String digest = "sha256:" + HexFormat.of().formatHex(blobMd.digest());
    Files.move(tmp, blobPath(dir, digest), StandardCopyOption.REPLACE_EXISTING);
    return new String[] {digest, Long.toString(size),
        "sha256:" + HexFormat.of().formatHex(diffMd.digest())};
  }

  // ---------------------------------------------------------------- reading layouts (assertions)

  /** {@code DIR/blobs/<alg>/<hex>} for {@code alg:hex}. */
  public static Path blobPath(Path layoutDir, String digest) {
    int colon = digest.indexOf(':');
    return layoutDir.resolve("blobs").resolve(digest.substring(0, colon))
        .resolve(digest.substring(colon + 1));
  }

  /** The descriptor {@code index.json} of a layout (ours or skopeo's) gives for {@code tag}. */
  public static Descriptor resolve(Path layoutDir, String tag) {
    JsonNode index = JSON.readTree(readAll(layoutDir.resolve("index.json")));
    for (JsonNode m : index.path("manifests").values()) {
      if (tag.equals(m.path("annotations").path(REF_NAME).stringValue(null))) {
        return new Descriptor(m.path("mediaType").stringValue(null), m.path("digest").stringValue(null),
            m.path("size").asLong());
      }
    }
    throw new AssertionError("no tag " + tag + " in " + layoutDir.resolve("index.json"));
  }

  /** The blobs of a layout whose content does not hash to their name (should be none). */
  public static List<String> corruptBlobs(Path layoutDir) {
    List<String> corrupt = new ArrayList<>();
    try (Stream<Path> files = Files.list(layoutDir.resolve("blobs/sha256"))) {
      files.sorted().forEach(f -> {
        String name = "sha256:" + f.getFileName();
        if (!sha256(f).equals(name)) {
          corrupt.add(name);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return corrupt;
  }

  public static String sha256(byte[] bytes) {
    return "sha256:" + HexFormat.of().formatHex(newSha256().digest(bytes));
  }

  public static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return sha256(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Digest of everything {@code in} still holds (read to the end, not closed). */
  public static String sha256(InputStream in) throws IOException {
    MessageDigest md = newSha256();
    byte[] buf = new byte[1 << 16];
    for (int n; (n = in.read(buf)) > 0; ) {
      md.update(buf, 0, n);
    }
    return "sha256:" + HexFormat.of().formatHex(md.digest());
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] readAll(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** gzip with stored (level 0) deflate blocks: an honest gzip stream that costs no CPU. */
  private static final class StoredGzip extends GZIPOutputStream {
    StoredGzip(OutputStream out) throws IOException {
      super(out, 1 << 16);
      def.setLevel(Deflater.NO_COMPRESSION);
    }
  }

  private static final class CountingOutputStream extends java.io.FilterOutputStream {
    long count;

    CountingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }

  /** A single-file ustar archive: header, payload, padding to 512, two zero blocks. */
  private static final class Tar {
    static final int BLOCK = 512;

    static int padding(long size) {
      return (int) ((BLOCK - size % BLOCK) % BLOCK);
    }

    static byte[] header(String name, long size) {
      byte[] h = new byte[BLOCK];
      put(h, 0, 100, name);
      put(h, 100, 8, "0000644");
      put(h, 108, 8, "0000000");
      put(h, 116, 8, "0000000");
      put(h, 124, 12, String.format("%011o", size));
      put(h, 136, 12, String.format("%011o", 0L));      // mtime 0: deterministic
      h[156] = '0';                                       // regular file
      put(h, 257, 6, "ustar");
      put(h, 263, 2, "00");
      put(h, 265, 32, "root");
      put(h, 297, 32, "root");
      for (int i = 148; i < 156; i++) {
        h[i] = ' ';                                       // checksum is computed over spaces
      }
      int sum = 0;
      for (byte b : h) {
        sum += b & 0xff;
      }
      put(h, 148, 7, String.format("%06o", sum));        // 6 octal digits, NUL, space
      return h;
    }

    private static void put(byte[] h, int off, int len, String s) {
      byte[] b = s.getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(b, 0, h, off, Math.min(b.length, len));
    }
  }
}
