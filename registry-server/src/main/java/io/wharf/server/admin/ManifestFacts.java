package io.wharf.server.admin;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.wharf.core.manifest.ManifestParser;
import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.repository.StorageBacked;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * What search results show of a manifest besides its digest: media type, size, platforms, the
 * image's total size, read from storage once per digest and kept (content by digest never
 * changes, so the cache needs no invalidation; it is bounded, and a miss costs one or two small
 * reads). Reads storage directly, never through the registry API: a proxy must not fetch from its
 * upstream because someone searched.
 */
final class ManifestFacts {
  /** One platform of an image: {@code linux/arm64/v8}. */
  record Platform(String os, String architecture, String variant) {
    String label() {
      return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }
  }

  /**
   * @param size the manifest's own bytes
   * @param platforms the image's platform, or an index's children's
   * @param totalSize what a pull of every platform downloads (manifests, configs, layers, each
   *     blob once); for an index whose children are not all stored, what is known
   * @param created the config's {@code created} of an image manifest, else null
   */
  record Facts(String mediaType, long size, List<Platform> platforms, long totalSize, String created) {
    /** The one platform of an image manifest, or null (an index, an artifact). */
    Platform platform() {
      return platforms.size() == 1 ? platforms.get(0) : null;
    }

    List<String> platformLabels() {
      return platforms.stream().map(Platform::label).toList();
    }
  }

  private final Cache<Digest, Facts> cache;

  ManifestFacts(long maximumSize) {
    this.cache = CacheBuilder.newBuilder().maximumSize(maximumSize).build();
  }

  /** The facts of manifest {@code digest} in {@code storage}; empty if its bytes are not there. */
  Optional<Facts> of(StorageBacked storage, Digest digest) throws IOException {
    Facts known = cache.getIfPresent(digest);
    if (known != null) {
      return Optional.of(known);
    }
    Optional<Facts> read = read(storage, digest, true);
    read.ifPresent(f -> cache.put(digest, f));
    return read;
  }

  private Optional<Facts> read(StorageBacked storage, Digest digest, boolean descend) throws IOException {
    Optional<Stored> manifest = stored(storage, digest);
    if (manifest.isEmpty()) {
      return Optional.empty();
    }
    JsonNode m = manifest.get().json();
    long size = manifest.get().size();
    JsonNode children = m.path("manifests");
    if (children.isArray()) {
      String type = m.path("mediaType").asString(MediaTypes.OCI_INDEX);
      List<Platform> platforms = new ArrayList<>();
      Map<String, Long> blobs = new LinkedHashMap<>();
      long total = size;
      for (JsonNode child : children) {
        JsonNode p = child.path("platform");
        if (p.isObject()) {
          platforms.add(new Platform(p.path("os").asString(null), p.path("architecture").asString(null),
              p.path("variant").asString(null)));
        }
        total += child.path("size").asLong(0);
        if (descend && child.path("digest").isString()) {
          Optional<Digest> d = parse(child.path("digest").asString());
          Optional<JsonNode> cm = d.isEmpty() ? Optional.empty() : json(storage, d.get());
          cm.ifPresent(c -> blobsOf(c, blobs));
        }
      }
      total += blobs.values().stream().mapToLong(Long::longValue).sum();
      return Optional.of(new Facts(type, size, List.copyOf(platforms), total, null));
    }
    String type = m.path("mediaType").asString(MediaTypes.OCI_MANIFEST);
    Map<String, Long> blobs = new LinkedHashMap<>();
    blobsOf(m, blobs);
    long total = size + blobs.values().stream().mapToLong(Long::longValue).sum();
    List<Platform> platforms = List.of();
    String created = null;
    Optional<Digest> config = parse(m.path("config").path("digest").asString(null));
    if (config.isPresent()) {
      Optional<JsonNode> c = json(storage, config.get());
      if (c.isPresent() && c.get().path("os").isString() && c.get().path("architecture").isString()) {
        platforms = List.of(new Platform(c.get().path("os").asString(), c.get().path("architecture").asString(),
            c.get().path("variant").asString(null)));
      }
      created = c.map(n -> n.path("created").asString(null)).orElse(null);
    }
    return Optional.of(new Facts(type, size, platforms, total, created));
  }

  /** The config and layers of an image manifest, by digest with their sizes. */
  private static void blobsOf(JsonNode manifest, Map<String, Long> out) {
    JsonNode config = manifest.path("config");
    if (config.path("digest").isString()) {
      out.put(config.path("digest").asString(), config.path("size").asLong(0));
    }
    for (JsonNode layer : manifest.path("layers")) {
      if (layer.path("digest").isString()) {
        out.put(layer.path("digest").asString(), layer.path("size").asLong(0));
      }
    }
  }

  /** A small stored blob as JSON, and its length. */
  record Stored(JsonNode json, int size) {}

  /** A small stored blob (manifest, config) as JSON; empty if absent or not a JSON object. */
  static Optional<Stored> stored(StorageBacked storage, Digest digest) throws IOException {
    // A manifest is capped at push, but a config is any blob a manifest names: look before reading.
    String path = storage.layout().blobData(digest);
    Optional<io.wharf.core.storage.FileInfo> info = storage.storage().stat(path);
    if (info.isEmpty() || info.get().directory() || info.get().size() > ManifestParser.MAX_MANIFEST_BYTES) {
      return Optional.empty();
    }
    Optional<byte[]> bytes = storage.storage().getContent(path);
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    try {
      JsonNode node = RestCall.JSON.readTree(bytes.get());
      return node != null && node.isObject() ? Optional.of(new Stored(node, bytes.get().length)) : Optional.empty();
    } catch (JacksonException e) {
      return Optional.empty();
    }
  }

  static Optional<JsonNode> json(StorageBacked storage, Digest digest) throws IOException {
    return stored(storage, digest).map(Stored::json);
  }

  private static Optional<Digest> parse(String s) {
    if (s == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Digest.parse(s));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
