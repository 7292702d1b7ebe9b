package io.wharf.server.admin;

import io.wharf.core.manifest.Manifest;
import io.wharf.core.manifest.ManifestParser;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.model.Reference;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.Blob;
import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.Referrer;
import io.wharf.core.repository.Repository;
import io.wharf.core.repository.StorageBacked;
import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.StorageLayout;
import io.wharf.server.auth.Action;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Images as the web UI shows them (Wharf's own API, {@code /wharf/api/v1/repositories/...}): a
 * repository's images, an image's tags with sizes and platforms (sorted, filtered, paged), and one
 * manifest in detail: platforms of an index, layers, the config (created, author, labels, history),
 * sizes, referrers (signatures, SBOMs, attestations) and the tags that share its digest.
 *
 * <p>Listings answer from the {@link ImageIndex}; a detail reads the manifest through the
 * repository (so a group or proxy answers as a client would see it). Who sees what: {@link
 * RepositoryService#readable}, as everywhere.
 */
public final class ImageService {
  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1000;

  /**
   * One image of a repository's listing.
   *
   * @param name the image ({@code library/alpine})
   * @param tags how many tags it has (in every member, for a group)
   * @param lastPushed when its newest tag was pushed (ISO-8601); null when not known
   */
  public record ImageItem(String name, int tags, String lastPushed) {}

  /**
   * A page of images.
   *
   * @param items the page's images, sorted by name
   * @param continuationToken pass it back for the next page; null on the last
   */
  public record ImagePage(List<ImageItem> items, String continuationToken) {}

  /**
   * One row of an image's tag listing.
   *
   * @param tag the tag; null for an untagged manifest
   * @param digest the manifest's digest
   * @param mediaType the manifest's media type
   * @param pushed when the tag (or the untagged manifest) was pushed
   * @param platforms the image's platforms ({@code linux/amd64})
   * @param size the image's total size in bytes (every platform, each blob once)
   */
  public record TagItem(String tag, String digest, String mediaType, String pushed, long size, List<String> platforms) {}

  /**
   * A page of an image's tags.
   *
   * @param items the page's rows, in the order asked for
   * @param continuationToken pass it back for the next page; null on the last
   */
  public record TagPage(List<TagItem> items, String continuationToken) {}

  /**
   * A child of an index, with its platform.
   *
   * @param digest the child manifest's digest
   * @param mediaType its media type, as the index says
   * @param size its own bytes, as the index says
   * @param os the platform's OS; null when the index gives none
   * @param architecture the platform's architecture; null when the index gives none
   * @param variant the platform's variant ({@code v8}); null when none
   * @param totalSize the child, its config and its layers; null when the child is not stored here
   */
  public record PlatformItem(String digest, String mediaType, long size, String os, String architecture,
      String variant, Long totalSize) {}

  /**
   * One layer of a manifest.
   *
   * @param digest the layer blob's digest
   * @param mediaType its media type (compressed or not, foreign or not)
   * @param size its bytes as stored (compressed)
   * @param urls where a foreign layer is downloaded from; empty for an ordinary layer
   */
  public record LayerItem(String digest, String mediaType, long size, List<String> urls) {}

  /**
   * One step of the image's build history, from its config.
   *
   * @param created when the step ran; null when not recorded
   * @param createdBy the build instruction ({@code created_by}); null when not recorded
   * @param author null when not recorded
   * @param comment null when not recorded
   * @param emptyLayer true for a step that made no layer ({@code ENV}, {@code LABEL}, ...)
   */
  public record HistoryItem(String created, String createdBy, String author, String comment, boolean emptyLayer) {}

  /**
   * The image's config. Only the descriptor's fields are set when the config is not stored here,
   * too large, or not JSON (an artifact's config).
   *
   * @param digest the config blob's digest
   * @param mediaType its media type
   * @param size its bytes
   * @param created when the image was built; null when not recorded
   * @param author null when not recorded
   * @param os the image's OS
   * @param architecture the image's architecture
   * @param variant the architecture's variant; null when none
   * @param labels the image's labels ({@code config.Labels}), sorted by name
   * @param history the build steps, oldest first
   */
  public record ConfigItem(String digest, String mediaType, long size, String created, String author, String os,
      String architecture, String variant, Map<String, String> labels, List<HistoryItem> history) {}

  /**
   * A manifest whose subject is this one (the OCI referrers API).
   *
   * @param digest the referrer's digest
   * @param mediaType its media type
   * @param artifactType its artifact type; null when it has none
   * @param size its bytes
   * @param kind {@code signature}, {@code sbom}, {@code attestation} or {@code other}, from the artifact type
   * @param annotations its annotations
   */
  public record ReferrerItem(String digest, String mediaType, String artifactType, long size, String kind,
      Map<String, String> annotations) {}

  /**
   * One manifest in detail.
   *
   * @param repository the repository asked (a group, when a group was asked)
   * @param image the image
   * @param reference the tag or digest asked for
   * @param digest the manifest's digest
   * @param mediaType the manifest's media type
   * @param artifactType its artifact type; null for an image
   * @param size the manifest's own bytes
   * @param totalSize everything a pull of every platform downloads: manifests, configs, layers (each once)
   * @param compressedSize the layers alone, as stored (compressed)
   * @param tags the tags of this image that point at this digest
   * @param platforms the children of an index; empty for a single-platform manifest
   * @param layers the layers of a single-platform manifest; empty for an index
   * @param config the config of a single-platform manifest; null for an index
   * @param annotations the manifest's annotations
   * @param subject the digest of the manifest this one refers to; null when none
   * @param referrers the manifests that refer to this one (signatures, SBOMs, attestations)
   */
  public record ImageDetail(String repository, String image, String reference, String digest, String mediaType,
      String artifactType, long size, long totalSize, long compressedSize, List<String> tags,
      List<PlatformItem> platforms, List<LayerItem> layers, ConfigItem config, Map<String, String> annotations,
      String subject, List<ReferrerItem> referrers) {}

  /** How a tag listing is sorted. */
  public enum TagSort {
    /** By tag, untagged manifests first. */
    NAME,
    /** By push time. */
    PUSHED,
    /** By the image's total size. */
    SIZE
  }

  /** Which manifests a tag listing shows. */
  public enum TagFilter {
    /** The tags only. */
    TAGGED,
    /**
     * The manifests of the image no tag points at, except the parts of another manifest (an
     * index's children, referrers), which its detail shows.
     */
    UNTAGGED,
    /** Both. */
    ALL
  }

  private final RepositoryService repositories;
  private final Permissions permissions;
  private final ImageIndex index;
  private final ManifestFacts facts;

  ImageService(RepositoryService repositories, Permissions permissions, ImageIndex index, ManifestFacts facts) {
    this.repositories = Objects.requireNonNull(repositories);
    this.permissions = Objects.requireNonNull(permissions);
    this.index = Objects.requireNonNull(index);
    this.facts = Objects.requireNonNull(facts);
  }

  // ---------------------------------------------------------------- images

  /**
   * The images of a repository, sorted by name; a group lists its members' images together.
   *
   * @param caller who asks; must be allowed to read the repository
   * @param repository the repository
   * @param prefix only images whose names start with it; null for all
   * @param limit the page size; 0 or less: {@value #DEFAULT_LIMIT}; at most {@value #MAX_LIMIT}
   * @param token the previous page's {@code continuationToken}; null for the first page
   * @return one page of images
   * @throws ManagementException {@code NOT_FOUND} if the repository does not exist or the caller
   *     may not read it; {@code BAD_REQUEST} for a token that is not one of this listing
   */
  public ImagePage images(Caller caller, String repository, String prefix, int limit, String token) {
    Repository r = repositories.readable(caller, repository);
    List<Stored> stores = stores(caller, r);
    int from = offset(token);
    int size = limit(limit);
    // One store (not a group): the index is already sorted by name; only the page's images are counted.
    if (stores.size() == 1) {
      NavigableMap<String, NavigableMap<String, ImageIndex.TagState>> all = index.images(stores.get(0).repository());
      if (prefix != null) {
        all = all.subMap(prefix, true, prefix + Character.MAX_VALUE, true);
      }
      List<ImageItem> page = new ArrayList<>(size);
      int i = 0;
      boolean more = false;
      for (Map.Entry<String, NavigableMap<String, ImageIndex.TagState>> e : all.entrySet()) {
        if (i++ < from) {
          continue;
        }
        if (page.size() == size) {
          more = true;
          break;
        }
        Instant last = null;
        int count = 0;
        for (ImageIndex.TagState t : e.getValue().values()) {
          count++;
          last = last == null || t.pushed().isAfter(last) ? t.pushed() : last;
        }
        page.add(new ImageItem(e.getKey(), count, last == null ? null : last.toString()));
      }
      return new ImagePage(List.copyOf(page), more ? token(from + size) : null);
    }
    TreeMap<String, Integer> count = new TreeMap<>();
    TreeMap<String, Instant> pushed = new TreeMap<>();
    for (Stored s : stores) {
      for (Map.Entry<String, NavigableMap<String, ImageIndex.TagState>> e : index.images(s.repository()).entrySet()) {
        if (prefix != null && !e.getKey().startsWith(prefix)) {
          continue;
        }
        count.merge(e.getKey(), e.getValue().size(), Integer::sum);
        for (ImageIndex.TagState t : e.getValue().values()) {
          pushed.merge(e.getKey(), t.pushed(), (a, b) -> a.isAfter(b) ? a : b);
        }
      }
    }
    List<ImageItem> all = new ArrayList<>();
    count.forEach((name, n) -> all.add(new ImageItem(name, n, pushed.containsKey(name) ? pushed.get(name).toString() : null)));
    int to = Math.min(all.size(), from + size);
    return new ImagePage(List.copyOf(all.subList(Math.min(from, to), to)), to < all.size() ? token(to) : null);
  }

  // ---------------------------------------------------------------- tags

  /**
   * The tags of an image (or its untagged manifests), each with digest, media type, push time,
   * total size and platforms.
   *
   * @param caller who asks; must be allowed to read the repository
   * @param repository the repository; a group lists its members' tags together
   * @param image the image
   * @param filter tagged manifests, untagged ones, or both
   * @param name only tags containing this text (case-insensitive); null: all
   * @param sort by tag name, push time or size
   * @param descending reverses the sort
   * @param limit the page size; 0 or less: {@value #DEFAULT_LIMIT}; at most {@value #MAX_LIMIT}
   * @param token the previous page's {@code continuationToken}; null for the first page
   * @return one page of rows
   * @throws ManagementException {@code NOT_FOUND} if the repository or the image does not exist or
   *     the caller may not read it; {@code BAD_REQUEST} for an invalid image name or a token that is
   *     not one of this listing
   * @throws java.io.UncheckedIOException when storage cannot be read
   */
  public TagPage tags(Caller caller, String repository, String image, TagFilter filter, String name, TagSort sort,
      boolean descending, int limit, String token) {
    Repository r = repositories.readable(caller, repository);
    requireImage(image);
    // Rows are sorted and cut light (tag, digest, push time); only the page's rows are read in full,
    // and sizes are looked up (cached facts) only to sort by size: 10,000 tags stay cheap.
    List<Row> rows = new ArrayList<>();
    Set<Digest> tagged = new HashSet<>();
    boolean found = false;
    String needle = name == null ? null : name.toLowerCase(Locale.ROOT);
    try {
      for (Stored s : stores(caller, r)) {
        NavigableMap<String, ImageIndex.TagState> tags = index.images(s.repository()).get(image);
        if (tags == null) {
          continue;
        }
        found = true;
        for (Map.Entry<String, ImageIndex.TagState> t : tags.entrySet()) {
          tagged.add(t.getValue().digest());
          if (filter != TagFilter.UNTAGGED && (needle == null || t.getKey().toLowerCase(Locale.ROOT).contains(needle))) {
            rows.add(new Row(s.storage(), t.getKey(), t.getValue().digest(), t.getValue().pushed()));
          }
        }
      }
      if (filter != TagFilter.TAGGED) {
        for (Stored s : stores(caller, r)) {
          found |= untagged(s.storage(), ImageName.of(image), tagged, rows);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!found) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND,
          "no image " + image + " in repository " + repository);
    }
    Comparator<Row> byName = Comparator.comparing(t -> t.tag() == null ? "" : t.tag());
    Map<Digest, Long> sizes = new HashMap<>();
    if (sort == TagSort.SIZE) {
      rows.forEach(row -> sizes.computeIfAbsent(row.digest(), d -> size(row))); // once per manifest, not per comparison
    }
    Comparator<Row> c = switch (sort) {
      case NAME -> byName.thenComparing(t -> t.digest().value());
      case PUSHED -> Comparator.comparing(Row::pushed).thenComparing(byName);
      case SIZE -> Comparator.<Row>comparingLong(t -> sizes.get(t.digest())).thenComparing(byName);
    };
    rows.sort(descending ? c.reversed() : c);
    int from = offset(token);
    int to = Math.min(rows.size(), from + limit(limit));
    List<TagItem> page = new ArrayList<>();
    try {
      for (Row row : rows.subList(Math.min(from, to), to)) {
        page.add(row(row.storage(), row.tag(), row.digest(), row.pushed()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new TagPage(List.copyOf(page), to < rows.size() ? token(to) : null);
  }

  /** A row of a tag listing before it is cut to a page. */
  private record Row(StorageBacked storage, String tag, Digest digest, Instant pushed) {}

  private long size(Row row) {
    try {
      return facts.of(row.storage(), row.digest()).map(ManifestFacts.Facts::totalSize).orElse(0L);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private TagItem row(StorageBacked s, String tag, Digest digest, Instant pushed) throws IOException {
    Optional<ManifestFacts.Facts> f = facts.of(s, digest);
    return new TagItem(tag, digest.value(), f.map(ManifestFacts.Facts::mediaType).orElse(null), pushed.toString(),
        f.map(ManifestFacts.Facts::totalSize).orElse(0L), f.map(ManifestFacts.Facts::platformLabels).orElse(List.of()));
  }

  /**
   * Adds the manifests of {@code image} that no tag points at, leaving out what is part of another
   * manifest (an index's children, referrers: they show in that manifest's detail).
   *
   * @return whether the image exists in this storage
   */
  private boolean untagged(StorageBacked s, ImageName image, Set<Digest> tagged, List<Row> rows) throws IOException {
    StorageLayout layout = s.layout();
    if (s.storage().stat(layout.manifestsDir(image)).isEmpty()) {
      return false;
    }
    List<Digest> revisions = StorageLayout.digestsUnder(s.storage(), layout.manifestRevisionsDir(image));
    Set<Digest> parts = new HashSet<>();
    Map<Digest, JsonNode> read = new LinkedHashMap<>();
    // Only what may be a part of another manifest is read: an untagged manifest (a referrer has a
    // subject) and a tagged index (its children); a tagged image is known from its cached facts,
    // so an image with 10,000 tags and no untagged manifest costs a directory listing.
    for (Digest d : revisions) {
      if (tagged.contains(d)) {
        Optional<ManifestFacts.Facts> f = facts.of(s, d);
        if (f.isPresent() && !MediaTypes.INDEXES.contains(f.get().mediaType())) {
          continue;
        }
      }
      Optional<JsonNode> m = ManifestFacts.json(s, d);
      if (m.isEmpty()) {
        continue;
      }
      read.put(d, m.get());
      for (JsonNode child : m.get().path("manifests")) {
        digest(child.path("digest").asString(null)).ifPresent(parts::add);
      }
      if (m.get().path("subject").isObject()) {
        parts.add(d);
      }
    }
    for (Digest d : read.keySet()) {
      if (tagged.contains(d) || parts.contains(d)) {
        continue;
      }
      Instant pushed = s.storage().stat(layout.manifestRevisionLink(image, d)).map(FileInfo::modified)
          .orElse(Instant.EPOCH);
      rows.add(new Row(s, null, d, pushed));
    }
    return true;
  }

  // ---------------------------------------------------------------- detail

  /**
   * One manifest of {@code image}, by tag or digest, in detail, read through the repository as a
   * client would pull it (a proxy may fetch it from its upstream).
   *
   * @param caller who asks; must be allowed to read the repository
   * @param repository the repository
   * @param image the image
   * @param reference a tag or a digest
   * @return the manifest with its platforms or layers, config, sizes, tags and referrers
   * @throws ManagementException {@code NOT_FOUND} if the repository or the manifest does not exist or
   *     the caller may not read it; {@code BAD_REQUEST} for an invalid image name, tag or digest;
   *     {@code INTERNAL} when the stored manifest is not JSON
   * @throws java.io.UncheckedIOException when storage cannot be read
   */
  public ImageDetail detail(Caller caller, String repository, String image, String reference) {
    Repository r = repositories.readable(caller, repository);
    requireImage(image);
    ImageName name = ImageName.of(image);
    Reference ref = reference(reference);
    try {
      Manifest m = r.getManifest(name, ref).orElseThrow(() -> new ManagementException(
          ManagementException.Reason.NOT_FOUND, "no manifest " + image + (ref instanceof Tag ? ":" : "@") + reference
              + " in repository " + repository));
      JsonNode json = RestCall.JSON.readTree(m.bytes());
      List<PlatformItem> platforms = new ArrayList<>();
      Map<Digest, Long> blobs = new LinkedHashMap<>();
      Map<Digest, Long> layerSizes = new LinkedHashMap<>();
      long manifestBytes = m.bytes().length;
      for (JsonNode child : json.path("manifests")) {
        Optional<Digest> cd = digest(child.path("digest").asString(null));
        if (cd.isEmpty()) {
          continue;
        }
        long childSize = child.path("size").asLong(0);
        manifestBytes += childSize;
        Optional<Manifest> cm = r.getManifest(name, cd.get());
        Long childTotal = null;
        if (cm.isPresent()) {
          long t = cm.get().bytes().length;
          cm.get().config().ifPresent(c -> blobs.put(c.digest(), c.size()));
          t += cm.get().config().map(Descriptor::size).orElse(0L);
          for (Manifest.Layer l : cm.get().layers()) {
            blobs.put(l.descriptor().digest(), l.descriptor().size());
            layerSizes.put(l.descriptor().digest(), l.descriptor().size());
            t += l.descriptor().size();
          }
          childTotal = t;
        }
        JsonNode p = child.path("platform");
        platforms.add(new PlatformItem(cd.get().value(), child.path("mediaType").asString(null), childSize,
            p.path("os").asString(null), p.path("architecture").asString(null), p.path("variant").asString(null),
            childTotal));
      }
      List<LayerItem> layers = new ArrayList<>();
      for (Manifest.Layer l : m.layers()) {
        layers.add(new LayerItem(l.descriptor().digest().value(), l.descriptor().mediaType(), l.descriptor().size(),
            l.urls()));
        blobs.put(l.descriptor().digest(), l.descriptor().size());
        layerSizes.put(l.descriptor().digest(), l.descriptor().size());
      }
      ConfigItem config = null;
      if (m.config().isPresent()) {
        Descriptor c = m.config().get();
        blobs.put(c.digest(), c.size());
        config = config(r, name, c);
      }
      long total = manifestBytes + blobs.values().stream().mapToLong(Long::longValue).sum();
      long compressed = layerSizes.values().stream().mapToLong(Long::longValue).sum();
      List<String> tags = new ArrayList<>();
      for (Stored s : stores(caller, r)) {
        NavigableMap<String, ImageIndex.TagState> t = index.images(s.repository()).get(image);
        if (t != null) {
          t.forEach((tag, state) -> {
            if (state.digest().equals(m.digest())) {
              tags.add(tag);
            }
          });
        }
      }
      tags.sort(null);
      List<ReferrerItem> referrers = new ArrayList<>();
      for (Referrer ref2 : r.referrers(name, m.digest(), null)) {
        referrers.add(new ReferrerItem(ref2.descriptor().digest().value(), ref2.descriptor().mediaType(),
            ref2.artifactType(), ref2.descriptor().size(), kind(ref2.artifactType()), ref2.annotations()));
      }
      return new ImageDetail(r.name(), image, reference, m.digest().value(), m.mediaType(), m.artifactType(),
          m.bytes().length, total, compressed, List.copyOf(tags), platforms, layers, config, m.annotations(),
          m.subject().map(s -> s.digest().value()).orElse(null), referrers);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (JacksonException e) {
      throw new ManagementException(ManagementException.Reason.INTERNAL, "stored manifest is not JSON: " + e);
    }
  }

  private static ConfigItem config(Repository r, ImageName image, Descriptor c) throws IOException {
    Optional<JsonNode> json = readJson(r, image, c.digest());
    if (json.isEmpty()) {
      return new ConfigItem(c.digest().value(), c.mediaType(), c.size(), null, null, null, null, null, Map.of(),
          List.of());
    }
    JsonNode j = json.get();
    Map<String, String> labels = new TreeMap<>();
    j.path("config").path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asString("")));
    List<HistoryItem> history = new ArrayList<>();
    for (JsonNode h : j.path("history")) {
      history.add(new HistoryItem(h.path("created").asString(null), h.path("created_by").asString(null),
          h.path("author").asString(null), h.path("comment").asString(null), h.path("empty_layer").asBoolean(false)));
    }
    return new ConfigItem(c.digest().value(), c.mediaType(), c.size(), j.path("created").asString(null),
        j.path("author").asString(null), j.path("os").asString(null), j.path("architecture").asString(null),
        j.path("variant").asString(null), labels, history);
  }

  /** A small blob (a config) through the repository, as JSON; empty if absent, too large or not JSON. */
  private static Optional<JsonNode> readJson(Repository r, ImageName image, Digest d) throws IOException {
    Optional<Blob> blob = r.getBlob(image, d);
    if (blob.isEmpty() || blob.get().descriptor().size() > ManifestParser.MAX_MANIFEST_BYTES) {
      return Optional.empty();
    }
    try (SeekableByteChannel ch = blob.get().open(); InputStream in = Channels.newInputStream(ch)) {
      JsonNode node = RestCall.JSON.readTree(in.readNBytes(ManifestParser.MAX_MANIFEST_BYTES));
      return node != null && node.isObject() ? Optional.of(node) : Optional.empty();
    } catch (JacksonException e) {
      return Optional.empty();
    }
  }

  /** What a referrer is, from its artifact type: signature, sbom, attestation or other. */
  static String kind(String artifactType) {
    String t = artifactType == null ? "" : artifactType.toLowerCase(Locale.ROOT);
    if (t.contains("signature") || t.contains("cosign") || t.contains("notary") || t.contains("notation")) {
      return "signature";
    }
    if (t.contains("spdx") || t.contains("cyclonedx") || t.contains("sbom") || t.contains("syft")) {
      return "sbom";
    }
    if (t.contains("in-toto") || t.contains("attestation") || t.contains("provenance") || t.contains("vex")) {
      return "attestation";
    }
    return "other";
  }

  // ---------------------------------------------------------------- helpers

  /** A storage-backed repository the listings read: the repository itself, or a group's readable members. */
  private record Stored(Repository repository, StorageBacked storage) {}

  private List<Stored> stores(Caller caller, Repository r) {
    List<Stored> out = new ArrayList<>();
    if (r instanceof GroupRepository g) {
      for (Repository m : g.members()) {
        if (m instanceof StorageBacked s && permissions.may(caller, m, Action.READ)) {
          out.add(new Stored(m, s));
        }
      }
    } else if (r instanceof StorageBacked s) {
      out.add(new Stored(r, s));
    }
    return out;
  }

  private static void requireImage(String image) {
    if (!ImageName.isValid(image)) {
      throw ManagementException.invalid("image", "not a valid image name: " + image);
    }
  }

  private static Reference reference(String s) {
    if (s.indexOf(':') >= 0) {
      return digest(s).orElseThrow(() -> ManagementException.invalid("reference", "not a valid digest: " + s));
    }
    if (!Tag.isValid(s)) {
      throw ManagementException.invalid("reference", "not a valid tag or digest: " + s);
    }
    return Tag.of(s);
  }

  private static Optional<Digest> digest(String s) {
    if (s == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Digest.parse(s));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  static int limit(int limit) {
    return limit <= 0 ? DEFAULT_LIMIT : Math.min(limit, MAX_LIMIT);
  }

  static String token(int offset) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("o" + offset).getBytes(StandardCharsets.UTF_8));
  }

  static int offset(String token) {
    if (token == null) {
      return 0;
    }
    try {
      String raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      if (raw.startsWith("o")) {
        int n = Integer.parseInt(raw.substring(1));
        if (n >= 0) {
          return n;
        }
      }
    } catch (IllegalArgumentException e) {
      // falls through to the refusal
    }
    throw ManagementException.invalid("continuationToken", "not a continuation token of this listing");
  }
}
