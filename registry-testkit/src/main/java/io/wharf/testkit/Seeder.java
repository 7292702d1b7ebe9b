package io.wharf.testkit;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.model.Reference;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.Repository;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import java.io.ByteArrayInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Pushes content straight into a repository through the Java API, as a client's push would
 * leave it (blobs verified by digest, manifests checked for missing references), but without
 * HTTP: seeding is fast and does not show in the request journal.
 */
final class Seeder {
  private final Repository repository;

  Seeder(Repository repository) {
    this.repository = repository;
  }

  // ---- fixtures

  Digest push(ImageName image, Tag tag, TestImage fixture) throws IOException {
    for (TestImage.Content blob : fixture.blobs()) {
      blob(image, blob.digest(), blob.size(), new ByteArrayInputStream(blob.bytes()));
    }
    for (TestImage.Image i : fixture.images()) {
      manifest(image, i.digest(), i.manifest().mediaType(), i.manifest().bytes());
    }
    TestImage.Content top = fixture.manifest();
    return manifest(image, tag == null ? top.digest() : tag, top.mediaType(), top.bytes());
  }

  // ---- building blocks

  void blob(ImageName image, Digest digest, long size, InputStream in) throws IOException {
    if (repository.getBlob(image, digest).isPresent()) {
      return;
    }
    UploadSession session = repository.startUpload(image);
    try {
      repository.finishUpload(image, session.id(), in, Chunk.ofLength(size), digest);
    } catch (IOException | RuntimeException e) {
      try {
        repository.cancelUpload(image, session.id());
      } catch (IOException | RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  Digest manifest(ImageName image, Reference reference, String mediaType, byte[] body) throws IOException {
    return repository.putManifest(image, reference, mediaType, body).descriptor().digest();
  }

  // ---- OCI image layouts

  /** Pushes everything {@code index.json} lists; returns tag (or, untagged, digest) -> digest. */
  Map<String, Digest> pushOciLayout(Path dir, ImageName image) throws IOException {
    Path indexFile = dir.resolve("index.json");
    if (!Files.isRegularFile(indexFile) || !Files.isRegularFile(dir.resolve("oci-layout"))) {
      throw new IOException(dir + " is not an OCI image layout (no oci-layout or index.json)");
    }
    JsonNode index = TestImages.JSON.readTree(Files.readAllBytes(indexFile));
    Map<String, Digest> pushed = new LinkedHashMap<>();
    for (JsonNode entry : index.path("manifests")) {
      Digest digest = pushTree(dir, image, entry);
      String tag = tagOf(entry.path("annotations"));
      if (tag != null) {
        byte[] body = Files.readAllBytes(blobPath(dir, digest));
        manifest(image, Tag.of(tag), mediaType(entry, body), body);
        pushed.put(tag, digest);
      } else {
        pushed.put(digest.value(), digest);
      }
    }
    return pushed;
  }

  /** Pushes a manifest (children or config and layers first) by digest. */
  private Digest pushTree(Path dir, ImageName image, JsonNode descriptor) throws IOException {
    Digest digest = Digest.parse(descriptor.path("digest").asString());
    byte[] body = Files.readAllBytes(blobPath(dir, digest));
    String type = mediaType(descriptor, body);
    JsonNode manifest = TestImages.JSON.readTree(body);
    if (MediaTypes.INDEXES.contains(type)) {
      for (JsonNode child : manifest.path("manifests")) {
        pushTree(dir, image, child);
      }
    } else {
      if (manifest.has("config")) {
        layoutBlob(dir, image, manifest.get("config"));
      }
      for (JsonNode layer : manifest.path("layers")) {
        if (layer.has("urls") && !Files.exists(blobPath(dir, Digest.parse(layer.path("digest").asString())))) {
          continue; // a foreign layer: not distributed with the image
        }
        layoutBlob(dir, image, layer);
      }
    }
    return manifest(image, digest, type, body);
  }

  private void layoutBlob(Path dir, ImageName image, JsonNode descriptor) throws IOException {
    Digest d = Digest.parse(descriptor.path("digest").asString());
    Path p = blobPath(dir, d);
    try (InputStream in = Files.newInputStream(p)) {
      blob(image, d, Files.size(p), in);
    }
  }

  private static String mediaType(JsonNode descriptor, byte[] body) {
    String t = descriptor.path("mediaType").asString(null);
    if (t == null || t.isEmpty()) {
      t = TestImages.JSON.readTree(body).path("mediaType").asString(MediaTypes.OCI_MANIFEST);
    }
    return t;
  }

  /** The tag of an {@code index.json} entry: {@code 1.0}, or the tag part of {@code docker.io/library/alpine:3.20}. */
  static String tagOf(JsonNode annotations) {
    String ref = annotations.path(TestImage.REF_NAME).asString(null);
    if (ref == null) {
      ref = annotations.path("io.containerd.image.name").asString(null);
    }
    if (ref == null || ref.isEmpty()) {
      return null;
    }
    int at = ref.indexOf('@');
    if (at >= 0) {
      ref = ref.substring(0, at);
    }
    int colon = ref.lastIndexOf(':');
    if (colon > ref.lastIndexOf('/')) {
      return ref.substring(colon + 1);
    }
    return ref.contains("/") ? null : ref;
  }

  private static Path blobPath(Path dir, Digest d) {
    return dir.resolve("blobs").resolve(d.algorithm()).resolve(d.hex());
  }

  // ---- docker save archives

  /**
   * Pushes every image of a {@code docker save} archive (plain or gzipped; the classic layout
   * or Docker 25's OCI-shaped one) as an OCI manifest with uncompressed layers. Returns
   * {@code name:tag} -> manifest digest.
   */
  Map<String, Digest> pushDockerArchive(Path archive, ImageName nameOverride) throws IOException {
    Path dir = Files.createTempDirectory("wharf-docker-archive-");
    try {
      try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
        raw.mark(2);
        int b1 = raw.read();
        int b2 = raw.read();
        raw.reset();
        InputStream in = b1 == 0x1f && b2 == 0x8b ? new GZIPInputStream(raw, 1 << 16) : raw;
        Tar.extract(in, dir);
      }
      Path manifestFile = dir.resolve("manifest.json");
      if (!Files.isRegularFile(manifestFile)) {
        throw new IOException(archive + " is not a docker save archive (no manifest.json)");
      }
      Map<String, Digest> pushed = new LinkedHashMap<>();
      for (JsonNode entry : TestImages.JSON.readTree(Files.readAllBytes(manifestFile))) {
        pushDockerImage(dir, entry, nameOverride, pushed);
      }
      return pushed;
    } finally {
      deleteTree(dir);
    }
  }

  private void pushDockerImage(Path dir, JsonNode entry, ImageName nameOverride, Map<String, Digest> pushed)
      throws IOException {
    List<Map.Entry<ImageName, String>> targets = new ArrayList<>();
    for (JsonNode repoTag : entry.path("RepoTags")) {
      String[] nameTag = splitRepoTag(repoTag.asString());
      targets.add(Map.entry(nameOverride != null ? nameOverride : ImageName.of(nameTag[0]), nameTag[1]));
    }
    if (targets.isEmpty()) {
      if (nameOverride == null) {
        throw new IOException("image " + entry.path("Config").asString() + " in the archive has no RepoTags;"
            + " give an image name");
      }
      targets.add(Map.entry(nameOverride, "latest"));
    }
    byte[] config = Files.readAllBytes(dir.resolve(entry.path("Config").asString()));
    Digest configDigest = Digest.sha256(config);
    ObjectNode manifest = TestImages.JSON.createObjectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
    ObjectNode cfg = manifest.putObject("config");
    cfg.put("mediaType", MediaTypes.OCI_CONFIG);
    cfg.put("digest", configDigest.value());
    cfg.put("size", config.length);
    ArrayNode layers = manifest.putArray("layers");
    Map<Path, Digest> layerDigests = new LinkedHashMap<>();
    for (JsonNode layer : entry.path("Layers")) {
      Path p = dir.resolve(layer.asString());
      Digest d = sha256(p);
      layerDigests.put(p, d);
      ObjectNode l = layers.addObject();
      l.put("mediaType", "application/vnd.oci.image.layer.v1.tar");
      l.put("digest", d.value());
      l.put("size", Files.size(p));
    }
    byte[] body = TestImages.JSON.writeValueAsBytes(manifest);
    for (Map.Entry<ImageName, String> target : targets) {
      ImageName image = target.getKey();
      blob(image, configDigest, config.length, new ByteArrayInputStream(config));
      for (Map.Entry<Path, Digest> layer : layerDigests.entrySet()) {
        try (InputStream in = Files.newInputStream(layer.getKey())) {
          blob(image, layer.getValue(), Files.size(layer.getKey()), in);
        }
      }
      Digest digest = manifest(image, Tag.of(target.getValue()), MediaTypes.OCI_MANIFEST, body);
      pushed.put(image + ":" + target.getValue(), digest);
    }
  }

  /** {@code team/app:1.0} -> {team/app, 1.0}; a registry host in front is dropped. */
  static String[] splitRepoTag(String repoTag) {
    String ref = repoTag;
    int colon = ref.lastIndexOf(':');
    String tag = "latest";
    if (colon > ref.lastIndexOf('/')) {
      tag = ref.substring(colon + 1);
      ref = ref.substring(0, colon);
    }
    int slash = ref.indexOf('/');
    if (slash > 0) {
      String first = ref.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        ref = ref.substring(slash + 1);
      }
    }
    return new String[] {ref, tag};
  }

  private static Digest sha256(Path p) throws IOException {
    java.security.MessageDigest md = Digest.newMessageDigest(Digest.SHA256);
    try (InputStream in = Files.newInputStream(p)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return Digest.of(Digest.SHA256, md.digest());
  }

  static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
