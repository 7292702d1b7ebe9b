package io.wharf.server.ui;

import io.wharf.core.manifest.Manifest;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Reference;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.Blob;
import io.wharf.core.repository.Page;
import io.wharf.core.repository.Repository;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the UI reads about images, straight from a {@link Repository} (the registry API as Java):
 * tags and the manifests they point at, an index's platforms, an image's config. The caller has
 * already checked that the user may read the repository.
 *
 * <p>This is the UI's own, minimal stand-in for the image-detail and search services of the
 * management API (issue 15, {@code /wharf/api/v1/...}); when they land, the UI asks them instead
 * and this class goes. Its cost: a tag listing reads every tag's manifest on the page shown, and
 * "which tags point here" reads up to {@link #TAG_SCAN_LIMIT} manifests.
 *
 * <p>Thread-safe (stateless).
 */
final class ImageBrowser {
  /** Configs are small JSON documents; a larger blob is not shown (it would be a layer mistaken for one). */
  static final int MAX_CONFIG_BYTES = 4 * 1024 * 1024;
  /** How many tags "which tags point at this manifest" looks at before it says it stopped. */
  static final int TAG_SCAN_LIMIT = 2000;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** A tag and the manifest it points at. */
  record TagInfo(String tag, Manifest manifest, long totalSize, int platforms) {}

  /** One platform of an index. */
  record Platform(String os, String architecture, String variant, Descriptor descriptor) {
    String label() {
      if (os == null && architecture == null) {
        return "unknown";
      }
      return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }
  }

  /** A tag listing cut to a page: {@code total} tags match the filter. */
  record TagPage(List<String> tags, int total, boolean hasMore) {}

  /** The tags that point at a manifest; {@code complete} false when the scan stopped at the limit. */
  record Tags(List<String> tags, boolean complete) {}

  Page images(Repository r, int n, String last) throws IOException {
    return r.catalog(n, last);
  }

  /** Up to {@code n} tags of {@code image} after {@code last}, those containing {@code filter} if given. */
  TagPage tags(Repository r, ImageName image, String filter, int n, String last) throws IOException {
    List<String> all = r.listTags(image, Page.UNLIMITED, null).items();
    List<String> matching = filter == null || filter.isEmpty() ? all
        : all.stream().filter(t -> t.contains(filter)).toList();
    Page page = Page.of(matching, n, last);
    return new TagPage(page.items(), matching.size(), page.hasMore());
  }

  /** The first {@code n} tags of {@code image}, and whether it has more. */
  Page someTags(Repository r, ImageName image, int n) throws IOException {
    return r.listTags(image, n, null);
  }

  TagInfo tag(Repository r, ImageName image, String tag) throws IOException {
    Manifest m = manifest(r, image, Tag.of(tag))
        .orElseThrow(() -> new IOException("tag " + tag + " points at no manifest"));
    return new TagInfo(tag, m, totalSize(r, image, m), m.isIndex() ? m.children().size() : 1);
  }

  Optional<Manifest> manifest(Repository r, ImageName image, Reference reference) throws IOException {
    return r.getManifest(image, reference);
  }

  /**
   * What a pull of this manifest downloads: the config and the layers (compressed), and for an
   * index those of every platform, each blob counted once.
   */
  long totalSize(Repository r, ImageName image, Manifest m) throws IOException {
    Set<Digest> seen = new HashSet<>();
    return size(r, image, m, seen);
  }

  private long size(Repository r, ImageName image, Manifest m, Set<Digest> seen) throws IOException {
    long total = 0;
    if (m.isIndex()) {
      for (Descriptor child : m.children()) {
        Optional<Manifest> c = r.getManifest(image, child.digest());
        if (c.isPresent()) {
          total += size(r, image, c.get(), seen);
        }
      }
      return total;
    }
    if (m.config().isPresent() && seen.add(m.config().get().digest())) {
      total += m.config().get().size();
    }
    for (Manifest.Layer l : m.layers()) {
      if (seen.add(l.descriptor().digest())) {
        total += l.descriptor().size();
      }
    }
    return total;
  }

  /** The platforms of an index, in its order ({@code platform} as the index declares it). */
  List<Platform> platforms(Manifest index) {
    List<Platform> out = new ArrayList<>();
    JsonNode root;
    try {
      root = JSON.readTree(index.bytes());
    } catch (JacksonException e) {
      return out;
    }
    int i = 0;
    for (JsonNode child : root.path("manifests")) {
      if (i >= index.children().size()) {
        break;
      }
      JsonNode p = child.path("platform");
      out.add(new Platform(text(p, "os"), text(p, "architecture"), text(p, "variant"), index.children().get(i++)));
    }
    return out;
  }

  /** The config blob as a JSON tree; empty if absent, too large or not JSON. */
  Optional<JsonNode> config(Repository r, ImageName image, Manifest m) throws IOException {
    if (m.config().isEmpty() || m.config().get().size() > MAX_CONFIG_BYTES) {
      return Optional.empty();
    }
    Optional<Blob> blob = r.getBlob(image, m.config().get().digest());
    if (blob.isEmpty()) {
      return Optional.empty();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) m.config().get().size());
    try (SeekableByteChannel ch = blob.get().open()) {
      ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
      while (ch.read(buf) >= 0) {
        buf.flip();
        out.write(buf.array(), 0, buf.limit());
        buf.clear();
        if (out.size() > MAX_CONFIG_BYTES) {
          return Optional.empty();
        }
      }
    }
    try {
      return Optional.of(JSON.readTree(out.toByteArray()));
    } catch (JacksonException e) {
      return Optional.empty(); // an artifact's config need not be JSON
    }
  }

  /** The tags of {@code image} that point at {@code digest}, looking at no more than {@link #TAG_SCAN_LIMIT}. */
  Tags tagsOf(Repository r, ImageName image, Digest digest) throws IOException {
    Page all = r.listTags(image, TAG_SCAN_LIMIT, null);
    List<String> out = new ArrayList<>();
    for (String t : all.items()) {
      Optional<Manifest> m = r.getManifest(image, Tag.of(t));
      if (m.isPresent() && m.get().digest().equals(digest)) {
        out.add(t);
      }
    }
    return new Tags(out, !all.hasMore());
  }

  /** Removes one tag; the manifest stays (see {@link Repository#deleteManifest}). */
  void deleteTag(Repository r, ImageName image, String tag) throws IOException {
    r.deleteManifest(image, Tag.of(tag));
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asString();
  }
}
