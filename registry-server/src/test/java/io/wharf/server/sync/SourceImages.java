package io.wharf.server.sync;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.upload.Chunk;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Builds images in a hosted repository through its Java API (uploads and manifest pushes, as a
 * client's would be), for sync tests to copy: image manifests with a config that names its
 * platform and creation time, multi-arch indexes, and signature referrers.
 */
final class SourceImages {
  static final String SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json";
  private static final Random RANDOM = new Random(19);

  private final HostedRepository repo;

  SourceImages(HostedRepository repo) {
    this.repo = repo;
  }

  /** A pushed manifest: its bytes, digest and media type. */
  record Pushed(byte[] bytes, Digest digest, String mediaType, List<Digest> blobs) {
    String descriptor(String platform) {
      String p = "";
      if (platform != null) {
        String[] parts = platform.split("/");
        p = ",\"platform\":{\"os\":\"" + parts[0] + "\",\"architecture\":\"" + parts[1] + "\"}";
      }
      return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + bytes.length + p + "}";
    }
  }

  /** The bytes of the manifest {@code reference} (a tag, or a digest) of {@code image} in {@code repo}, or null. */
  static byte[] manifestBytes(HostedRepository repo, String image, String reference) throws IOException {
    ImageName name = ImageName.of(image);
    java.util.Optional<io.wharf.core.manifest.Manifest> m = reference.startsWith("sha256:")
        ? repo.getManifest(name, Digest.parse(reference)) : repo.getManifest(name, Tag.of(reference));
    return m.map(io.wharf.core.manifest.Manifest::bytes).orElse(null);
  }

  /** The bytes of a blob of {@code image} in {@code repo}. */
  static byte[] blobBytes(HostedRepository repo, String image, Digest d) throws IOException {
    io.wharf.core.repository.Blob b = repo.getBlob(ImageName.of(image), d).orElseThrow();
    try (InputStream in = java.nio.channels.Channels.newInputStream(b.open())) {
      return in.readAllBytes();
    }
  }

  static byte[] random(int size) {
    byte[] b = new byte[size];
    RANDOM.nextBytes(b);
    return b;
  }

  Digest blob(String image, byte[] content) throws IOException {
    return blob(image, new ByteArrayInputStream(content), Digest.sha256(content));
  }

  Digest blob(String image, InputStream content, Digest digest) throws IOException {
    ImageName name = ImageName.of(image);
    String id = repo.startUpload(name).id();
    repo.finishUpload(name, id, content, Chunk.STREAMED, digest);
    return digest;
  }

  /** An image of {@code platform} ({@code linux/amd64}) created at {@code created}, with random layers of {@code layerSizes}. */
  Pushed image(String image, String reference, String platform, Instant created, int... layerSizes) throws IOException {
    String[] p = platform.split("/");
    byte[] config = ("{\"architecture\":\"" + p[1] + "\",\"os\":\"" + p[0] + "\",\"created\":\"" + created
        + "\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"nonce\":" + RANDOM.nextLong() + "}")
        .getBytes(StandardCharsets.UTF_8);
    List<Digest> blobs = new ArrayList<>();
    blobs.add(blob(image, config));
    StringBuilder layers = new StringBuilder();
    for (int size : layerSizes) {
      byte[] layer = random(size);
      Digest d = blob(image, layer);
      blobs.add(d);
      layers.append(layers.length() == 0 ? "" : ",").append("{\"mediaType\":\"").append(MediaTypes.OCI_LAYER_TAR_GZIP)
          .append("\",\"digest\":\"").append(d).append("\",\"size\":").append(size).append('}');
    }
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + blobs.get(0) + "\",\"size\":" + config.length + "},\"layers\":["
        + layers + "]}";
    return manifest(image, reference, MediaTypes.OCI_MANIFEST, manifest, blobs);
  }

  /** An index of {@code children}, each with the platform at the same position of {@code platforms}. */
  Pushed index(String image, String tag, List<Pushed> children, List<String> platforms) throws IOException {
    StringBuilder entries = new StringBuilder();
    for (int i = 0; i < children.size(); i++) {
      entries.append(i == 0 ? "" : ",").append(children.get(i).descriptor(platforms.get(i)));
    }
    String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[" + entries + "]}";
    return manifest(image, tag, MediaTypes.OCI_INDEX, index, List.of());
  }

  /**
   * An image index and its two children, all of {@code image}.
   *
   * @param index the index, tagged
   * @param amd64 its {@code linux/amd64} child
   * @param arm64 its {@code linux/arm64} child
   */
  record MultiArch(Pushed index, Pushed amd64, Pushed arm64) {}

  /** A {@code linux/amd64} and a {@code linux/arm64} image (by digest) and an index of both tagged {@code tag}. */
  MultiArch multiArch(String image, String tag) throws IOException {
    Instant t = Instant.parse("2026-02-01T00:00:00Z");
    Pushed amd = image(image, "sha256:x", "linux/amd64", t, 300);
    Pushed arm = image(image, "sha256:x", "linux/arm64", t, 400);
    return new MultiArch(index(image, tag, List.of(amd, arm), List.of("linux/amd64", "linux/arm64")), amd, arm);
  }

  /** A signature of {@code subject}, pushed by digest (as cosign's OCI 1.1 mode does). */
  Pushed signature(String image, Pushed subject) throws IOException {
    Digest empty = blob(image, "{}".getBytes(StandardCharsets.UTF_8));
    byte[] payload = ("{\"critical\":{\"image\":{\"docker-manifest-digest\":\"" + subject.digest() + "\"}}}")
        .getBytes(StandardCharsets.UTF_8);
    Digest p = blob(image, payload);
    String m = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"artifactType\":\"" + SIGNATURE
        + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_EMPTY + "\",\"digest\":\"" + empty + "\",\"size\":2},"
        + "\"layers\":[{\"mediaType\":\"" + SIGNATURE + "\",\"digest\":\"" + p + "\",\"size\":" + payload.length + "}],"
        + "\"subject\":" + subject.descriptor(null) + "}";
    byte[] bytes = m.getBytes(StandardCharsets.UTF_8);
    return manifest(image, Digest.sha256(bytes).value(), MediaTypes.OCI_MANIFEST, m, List.of(empty, p));
  }

  private Pushed manifest(String image, String reference, String type, String json, List<Digest> blobs)
      throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    Digest d = Digest.sha256(bytes);
    repo.putManifest(ImageName.of(image), reference.startsWith("sha256:") ? d : Tag.of(reference), type, bytes);
    return new Pushed(bytes, d, type, blobs);
  }
}
