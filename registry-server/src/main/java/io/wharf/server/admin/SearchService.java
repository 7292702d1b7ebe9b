package io.wharf.server.admin;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.Repository;
import io.wharf.core.repository.StorageBacked;
import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.StorageLayout;
import io.wharf.server.auth.Action;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Nexus's Docker model over Wharf's images, for search and browse: one component per tag
 * ({@code group} "", {@code name} the image, {@code version} the tag), its one asset the tag's
 * manifest. Answers come from the {@link ImageIndex} (which tags exist and what they point at) and
 * {@link ManifestFacts} (what the manifests say), so a page costs no storage walk; a call by id
 * reads storage, so a gone component is 404 at once.
 *
 * <p>Who sees what: only repositories the caller may read ({@link RepositoryService#readable}, the
 * one place that decides); deletes need the {@code delete} right. Pages: search 50, components and
 * assets 100, with an opaque {@code continuationToken}.
 */
public final class SearchService {
  static final int SEARCH_PAGE = 50;
  static final int LIST_PAGE = 100;
  private static final DateTimeFormatter NEXUS_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSxxx", Locale.ROOT).withZone(ZoneOffset.UTC);

  /**
   * A page of components or assets, as Nexus lists them.
   *
   * @param <T> {@link Component} or asset
   * @param items this page's items
   * @param continuationToken opaque; pass it back for the next page; null on the last page
   */
  public record NexusPage<T>(List<T> items, String continuationToken) {}

  /**
   * A Nexus component: one tag.
   *
   * @param id opaque; names the repository, image and tag ({@code GET /v1/components/{id}})
   * @param repository the repository that holds the tag (a member, when a group was searched)
   * @param format always {@code docker}
   * @param group always empty: Docker components have none
   * @param name the image ({@code library/alpine})
   * @param version the tag
   * @param assets the tag's one asset, its manifest
   * @param wharf what Nexus does not show: the image's size and platforms
   */
  public record Component(String id, String repository, String format, String group, String name, String version,
      List<Asset> assets, WharfFacts wharf) {}

  /**
   * A Nexus asset: the tag's manifest.
   *
   * @param downloadUrl where a client gets the manifest: {@code <base>/repository/<name>/v2/<image>/manifests/<tag>}
   * @param path {@code /v2/<image>/manifests/<tag>}
   * @param id opaque; names the repository, image and tag ({@code GET /v1/assets/{id}})
   * @param repository the repository that holds the tag
   * @param format always {@code docker}
   * @param checksum the manifest's digest, algorithm to hex ({@code sha256})
   * @param contentType the manifest's media type; null while not known
   * @param lastModified when the tag was pushed, as Nexus writes times
   * @param lastDownloaded when the tag was last pulled; null unless pulls are recorded for the repository
   * @param uploader always null: Wharf does not record who pushed
   * @param uploaderIp always null
   * @param fileSize the manifest's own bytes; 0 while not known
   * @param blobCreated when the tag was pushed, as for {@code lastModified}
   * @param blobStoreName the blob store the repository keeps its images in
   * @param docker Nexus's Docker attributes
   * @param wharf what Wharf adds
   */
  public record Asset(String downloadUrl, String path, String id, String repository, String format,
      Map<String, String> checksum, String contentType, String lastModified, String lastDownloaded, String uploader,
      String uploaderIp, long fileSize, String blobCreated, String blobStoreName, DockerAttributes docker,
      WharfFacts wharf) {}

  /**
   * Nexus 3.96's {@code docker} attributes of an asset.
   *
   * @param content_digest the manifest's digest (Nexus's field name)
   * @param os the image's OS; null for an index or while not known
   * @param architecture the image's architecture; null for an index or while not known
   * @param totalSize the image's total size as Nexus shows it, e.g. {@code 2.10 MB}
   */
  public record DockerAttributes(String content_digest, String os, String architecture, String totalSize) {}

  /**
   * What Wharf adds to a component or asset.
   *
   * @param totalSize the image's total size in bytes: every platform, each blob once; 0 while the
   *     manifest's facts are not known
   * @param platforms the image's platforms ({@code linux/amd64}); empty while not known
   * @param mediaType the manifest's media type; null while not known
   * @param digest the manifest's digest
   * @param pushed when the tag was pushed, as Nexus writes times
   */
  public record WharfFacts(long totalSize, List<String> platforms, String mediaType, String digest, String pushed) {}

  /** One indexed tag that a query found. */
  record Hit(Repository repository, String image, String tag, ImageIndex.TagState state) {}

  private final RepositoryService repositories;
  private final Permissions permissions;
  private final ImageIndex index;
  private final ManifestFacts facts;
  private final Function<String, String> blobStoreOf;

  /**
   * @param blobStoreOf the blob store a repository keeps its images in (for {@code blobStoreName})
   */
  SearchService(RepositoryService repositories, Permissions permissions, ImageIndex index, ManifestFacts facts,
      Function<String, String> blobStoreOf) {
    this.repositories = Objects.requireNonNull(repositories);
    this.permissions = Objects.requireNonNull(permissions);
    this.index = Objects.requireNonNull(index);
    this.facts = Objects.requireNonNull(facts);
    this.blobStoreOf = Objects.requireNonNull(blobStoreOf);
  }

  // ---------------------------------------------------------------- queries

  /**
   * {@code GET /v1/search}: the components (tags) that meet {@code query}, 50 a page, in the
   * repositories the caller may read; a group stands for its members.
   *
   * @param caller who searches; repositories it may not read are left out
   * @param query the search's filters and sort
   * @param token the previous page's {@code continuationToken}; null for the first page
   * @param base the public URL of the server, for the assets' {@code downloadUrl}
   * @return one page and the next page's token (null on the last)
   * @throws ManagementException {@code BAD_REQUEST} for a token that is not one of this listing;
   *     {@code NOT_FOUND} for a {@code repository} filter the caller may not read or that does not exist
   */
  public NexusPage<Component> search(Caller caller, SearchQuery query, String token, String base) {
    return page(caller, query, token, SEARCH_PAGE).map(h -> component(h, base));
  }

  /** {@code GET /v1/search/assets}: the assets of those components. */
  NexusPage<Asset> searchAssets(Caller caller, SearchQuery query, String token, String base) {
    return page(caller, query, token, SEARCH_PAGE).map(h -> asset(h, base));
  }

  /** {@code GET /v1/components?repository=}: every component of one repository, 100 a page. */
  NexusPage<Component> components(Caller caller, String repository, String token, String base) {
    return page(caller, inRepository(repository), token, LIST_PAGE).map(h -> component(h, base));
  }

  /** {@code GET /v1/assets?repository=}: the assets of every component of one repository. */
  NexusPage<Asset> assets(Caller caller, String repository, String token, String base) {
    return page(caller, inRepository(repository), token, LIST_PAGE).map(h -> asset(h, base));
  }

  /** {@code GET /v1/components/{id}}. */
  Component component(Caller caller, String id, String base) {
    return component(stored(caller, ComponentId.decode(id, ComponentId.Kind.COMPONENT)), base);
  }

  /** {@code GET /v1/assets/{id}}. */
  Asset asset(Caller caller, String id, String base) {
    return asset(stored(caller, ComponentId.decode(id, ComponentId.Kind.ASSET)), base);
  }

  /**
   * {@code DELETE /v1/components/{id}}: removes that tag only (other tags of the manifest stay), as
   * Nexus does; search and browse follow at once.
   *
   * @param caller must hold the {@code delete} right on the component's repository
   * @param id the component's id from a listing
   * @throws ManagementException {@code UNPROCESSABLE} for an id that is no component id;
   *     {@code NOT_FOUND} when the repository or the tag is gone or the caller may not read it;
   *     {@code UNAUTHENTICATED} or {@code FORBIDDEN} for a caller without the delete right
   * @throws IOException when storage fails while deleting
   */
  public void deleteComponent(Caller caller, String id) throws IOException {
    Hit h = stored(caller, ComponentId.decode(id, ComponentId.Kind.COMPONENT));
    requireDelete(caller, h.repository());
    ImageName image = ImageName.of(h.image());
    h.repository().deleteManifest(image, Tag.of(h.tag()));
    index.changed(h.repository(), image);
  }

  /**
   * {@code DELETE /v1/assets/{id}}: removes the manifest the tag points at, by digest, and with it
   * every tag that points at it (as deleting a manifest asset does in Nexus and in the registry API).
   */
  void deleteAsset(Caller caller, String id) throws IOException {
    Hit h = stored(caller, ComponentId.decode(id, ComponentId.Kind.ASSET));
    requireDelete(caller, h.repository());
    ImageName image = ImageName.of(h.image());
    h.repository().deleteManifest(image, h.state().digest());
    index.changed(h.repository(), image);
  }

  /** This node changed an image through the registry API: search shows it at once. */
  void changed(Repository repository, ImageName image) {
    index.changed(repository, image);
  }

  private static SearchQuery inRepository(String repository) {
    if (repository == null || repository.isEmpty()) {
      throw new ManagementException(ManagementException.Reason.UNPROCESSABLE,
          "the repository parameter is required: ?repository=<name>");
    }
    return new SearchQuery(repository, null, null, null, null, false, null, false);
  }

  // ---------------------------------------------------------------- finding

  /** The repositories to look in, sorted by name: one (a group: its members) or every readable one. */
  private List<Repository> scope(Caller caller, String repository) {
    TreeMap<String, Repository> out = new TreeMap<>();
    if (repository != null) {
      Repository r = repositories.readable(caller, repository);
      if (r instanceof GroupRepository g) {
        for (Repository m : g.members()) {
          if (permissions.may(caller, m, Action.READ)) {
            out.put(m.name(), m);
          }
        }
      } else {
        out.put(r.name(), r);
      }
      return List.copyOf(out.values());
    }
    for (RepositorySummary s : repositories.list(caller, "")) {
      Repository r = repositories.readable(caller, s.name());
      if (!(r instanceof GroupRepository)) {
        out.put(r.name(), r);
      }
    }
    return List.copyOf(out.values());
  }

  /** Every indexed tag that meets {@code q}, in the natural order: repository, image, tag. */
  private List<Hit> hits(Caller caller, SearchQuery q) {
    List<Hit> out = new ArrayList<>();
    hits(caller, q, null, h -> out.add(h));
    return out;
  }

  /**
   * Offers {@code sink} the indexed tags that meet {@code q} and come after {@code after} (null:
   * from the start), in the natural order, until it answers false. Starts at {@code after} by
   * sub-maps, so the thousandth page of a repository costs what the first does.
   */
  private void hits(Caller caller, SearchQuery q, Key after, Predicate<Hit> sink) {
    List<Repository> scope = scope(caller, q.repository());
    if (q.none()) {
      return;
    }
    for (Repository r : scope) {
      int repoOrder = after == null ? 1 : r.name().compareTo(after.repository());
      if (repoOrder < 0) {
        continue;
      }
      NavigableMap<String, NavigableMap<String, ImageIndex.TagState>> candidates = index.images(r);
      if (q.name() != null && q.name().prefix()) {
        candidates = candidates.subMap(q.name().text(), true, q.name().text() + Character.MAX_VALUE, true);
      } else if (q.name() != null) {
        NavigableMap<String, ImageIndex.TagState> tags = candidates.get(q.name().text());
        candidates = tags == null ? java.util.Collections.emptyNavigableMap()
            : new TreeMap<>(Map.of(q.name().text(), tags));
      }
      if (repoOrder == 0) {
        candidates = candidates.tailMap(after.image(), true);
      }
      for (Map.Entry<String, NavigableMap<String, ImageIndex.TagState>> e : candidates.entrySet()) {
        String image = e.getKey();
        String imageLower = q.keyword() == null ? null : image.toLowerCase(Locale.ROOT);
        NavigableMap<String, ImageIndex.TagState> tags = e.getValue();
        if (repoOrder == 0 && image.equals(after.image())) {
          tags = tags.tailMap(after.tag(), false);
        }
        if (q.version() != null && !q.version().prefix()) {
          ImageIndex.TagState t = tags.get(q.version().text());
          tags = t == null ? java.util.Collections.emptyNavigableMap() : new TreeMap<>(Map.of(q.version().text(), t));
        }
        for (Map.Entry<String, ImageIndex.TagState> t : tags.entrySet()) {
          if (q.version() != null && !q.version().test(t.getKey())
              || q.digest() != null && !q.digest().equals(t.getValue().digest())
              || imageLower != null && !imageLower.contains(q.keyword())
                  && !t.getKey().toLowerCase(Locale.ROOT).contains(q.keyword())) {
            continue;
          }
          if (!sink.test(new Hit(r, image, t.getKey(), t.getValue()))) {
            return;
          }
        }
      }
    }
  }

  /** A found tag read from storage (not the index): 404 if it is gone or the caller may not read it. */
  private Hit stored(Caller caller, ComponentId id) {
    Repository r = repositories.readable(caller, id.repository());
    StorageBacked s = index.storage(r);
    String what = id.kind() == ComponentId.Kind.COMPONENT ? "component" : "asset";
    ManagementException gone = new ManagementException(ManagementException.Reason.NOT_FOUND,
        "no " + what + " " + id.image() + ":" + id.tag() + " in repository " + id.repository());
    if (s == null) {
      throw gone;
    }
    try {
      String link = s.layout().tagCurrentLink(ImageName.of(id.image()), Tag.of(id.tag()));
      Optional<Digest> target = StorageLayout.readLink(s.storage(), link);
      Optional<FileInfo> info = target.isEmpty() ? Optional.empty() : s.storage().stat(link);
      if (target.isEmpty() || info.isEmpty()) {
        throw gone;
      }
      return new Hit(r, id.image(), id.tag(), new ImageIndex.TagState(target.get(), info.get().modified()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void requireDelete(Caller caller, Repository r) {
    if (!permissions.may(caller, r, Action.DELETE)) {
      throw caller.isAnonymous()
          ? new ManagementException(ManagementException.Reason.UNAUTHENTICATED, "authentication required to delete")
          : new ManagementException(ManagementException.Reason.FORBIDDEN,
              "user " + caller.user() + " needs the delete privilege on repository " + r.name());
    }
  }

  // ---------------------------------------------------------------- paging

  /** A page of hits and the token of the next one. */
  private record HitPage(List<Hit> hits, String token) {
    <T> NexusPage<T> map(Function<Hit, T> f) {
      return new NexusPage<>(hits.stream().map(f).toList(), token);
    }
  }

  /** Where a hit is in the natural order. */
  private record Key(String repository, String image, String tag) implements Comparable<Key> {
    static Key of(Hit h) {
      return new Key(h.repository().name(), h.image(), h.tag());
    }

    @Override
    public int compareTo(Key o) {
      int c = repository.compareTo(o.repository);
      if (c == 0) {
        c = image.compareTo(o.image);
      }
      return c != 0 ? c : tag.compareTo(o.tag);
    }
  }

  private static final Comparator<Hit> NATURAL = Comparator.comparing(Key::of);

  /**
   * Cuts a page. In the natural order the token is the last item's key, so a page starts right
   * after it whatever was pushed or deleted meanwhile; a sorted search's token is an offset (as
   * Nexus's "50"), since its order is not a key order.
   */
  private HitPage page(Caller caller, SearchQuery q, String token, int size) {
    boolean natural = (q.sort() == null || q.sort() == SearchQuery.Sort.GROUP) && !q.descending();
    Token t = token == null ? null : Token.decode(token);
    if (natural) {
      if (t != null && t.key() == null) {
        throw badToken();
      }
      List<Hit> items = new ArrayList<>(size + 1);
      hits(caller, q, t == null ? null : t.key(), h -> items.add(h) && items.size() <= size);
      if (items.size() <= size) {
        return new HitPage(items, null);
      }
      items.remove(size);
      return new HitPage(items, Token.key(items.get(size - 1)));
    }
    Comparator<Hit> c = switch (q.sort() == null ? SearchQuery.Sort.GROUP : q.sort()) {
      case NAME -> Comparator.comparing(Hit::image).thenComparing(Hit::tag).thenComparing(h -> h.repository().name());
      case VERSION -> Comparator.comparing(Hit::tag).thenComparing(Hit::image).thenComparing(h -> h.repository().name());
      case REPOSITORY, GROUP -> NATURAL;
    };
    List<Hit> ordered = hits(caller, q);
    ordered.sort(q.descending() ? c.reversed() : c);
    if (t != null && t.offset() < 0) {
      throw badToken();
    }
    int from = t == null ? 0 : Math.min(t.offset(), ordered.size());
    int to = Math.min(from + size, ordered.size());
    return new HitPage(List.copyOf(ordered.subList(from, to)), to < ordered.size() ? Token.offset(to) : null);
  }

  private static ManagementException badToken() {
    return ManagementException.invalid("PARAMETER continuationToken",
        "not a continuation token of this listing; pass back the continuationToken of the previous page");
  }

  /** A continuation token: {@code k\n<repository>\n<image>\n<tag>} or {@code o<offset>}, base64url. */
  private record Token(Key key, int offset) {
    static String key(Hit h) {
      return encode("k\n" + h.repository().name() + "\n" + h.image() + "\n" + h.tag());
    }

    static String offset(int n) {
      return encode("o" + n);
    }

    private static String encode(String raw) {
      return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    static Token decode(String token) {
      String raw;
      try {
        raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw badToken();
      }
      if (raw.startsWith("o")) {
        try {
          return new Token(null, Integer.parseInt(raw.substring(1)));
        } catch (NumberFormatException e) {
          throw badToken();
        }
      }
      String[] p = raw.split("\n", -1);
      if (p.length != 4 || !p[0].equals("k")) {
        throw badToken();
      }
      return new Token(new Key(p[1], p[2], p[3]), -1);
    }
  }

  // ---------------------------------------------------------------- shapes

  private Component component(Hit h, String base) {
    Asset asset = asset(h, base);
    ComponentId id = new ComponentId(ComponentId.Kind.COMPONENT, h.repository().name(), h.image(), h.tag());
    return new Component(id.encode(), h.repository().name(), RepositoryService.FORMAT, "", h.image(), h.tag(),
        List.of(asset), asset.wharf());
  }

  private Asset asset(Hit h, String base) {
    StorageBacked s = index.storage(h.repository());
    Digest digest = h.state().digest();
    Optional<ManifestFacts.Facts> f;
    String lastDownloaded;
    try {
      f = s == null ? Optional.empty() : facts.of(s, digest);
      lastDownloaded = s == null ? null : lastPulled(s, h);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String path = "/v2/" + h.image() + "/manifests/" + h.tag();
    ComponentId id = new ComponentId(ComponentId.Kind.ASSET, h.repository().name(), h.image(), h.tag());
    Map<String, String> checksum = Map.of(digest.algorithm(), digest.hex());
    long total = f.map(ManifestFacts.Facts::totalSize).orElse(0L);
    ManifestFacts.Platform platform = f.map(ManifestFacts.Facts::platform).orElse(null);
    String pushed = NEXUS_TIME.format(h.state().pushed());
    WharfFacts wharf = new WharfFacts(total, f.map(ManifestFacts.Facts::platformLabels).orElse(List.of()),
        f.map(ManifestFacts.Facts::mediaType).orElse(null), digest.value(), pushed);
    return new Asset(base + "/repository/" + h.repository().name() + path, path, id.encode(), h.repository().name(),
        RepositoryService.FORMAT, checksum, f.map(ManifestFacts.Facts::mediaType).orElse(null), pushed, lastDownloaded,
        null, null, f.map(ManifestFacts.Facts::size).orElse(0L), pushed, blobStoreOf.apply(h.repository().name()),
        new DockerAttributes(digest.value(), platform == null ? null : platform.os(),
            platform == null ? null : platform.architecture(), humanSize(total)),
        wharf);
  }

  /** When the tag was last pulled, if pulls are recorded for this repository (cleanup by last pull). */
  private static String lastPulled(StorageBacked s, Hit h) throws IOException {
    Optional<byte[]> record = s.storage().getContent(s.layout().accessTagRecord(ImageName.of(h.image()), Tag.of(h.tag())));
    if (record.isEmpty()) {
      return null;
    }
    try {
      return NEXUS_TIME.format(Instant.parse(new String(record.get(), StandardCharsets.US_ASCII).trim()));
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** Nexus's human size: {@code 2.10 MB} (powers of 1024, as Nexus prints them). */
  static String humanSize(long bytes) {
    String[] units = {"B", "KB", "MB", "GB", "TB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.2f %s", v, units[u]);
  }
}
