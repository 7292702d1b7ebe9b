package io.wharf.proxy.sync;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * One {@code content} entry of a pull rule: which images of the source to copy and where they go.
 * The filters apply in this order: {@code names} (globs over the source's names), {@code include}
 * and {@code exclude} (whole-tag regexes), {@code semver} (a {@link SemverRange}; tags that are no
 * version drop out), {@code newest} (the N most recently created of what is left), then, while
 * copying, {@code platforms} and {@code referrers} ({@link ImageCopier.Options}). The name an
 * image gets here is {@code destination/} followed by its source name without {@code stripPrefix/}.
 *
 * <p>A {@code SyncContent} only reads the source: {@link #select} lists the images to copy,
 * {@link #copyOptions} says how to copy each with {@link ImageCopier}. The server builds one per
 * {@code content} entry of the configuration; see {@code docs/sync.md}.
 *
 * @param names the image names or globs to copy, at least one; a glob needs the source's catalog
 * @param include a regex every selected tag must match as a whole; null: every tag
 * @param exclude a regex no selected tag may match as a whole; null: none excluded
 * @param semver the version range a selected tag must be in (tags that are no version are
 *     dropped); null: no range
 * @param newest how many tags per image to keep after the filters above, the most recently created
 *     first; at least 1; null: no limit
 * @param platforms the platforms of an index to copy; empty: all of them
 * @param referrers whether to copy the referrers (signatures, SBOMs, attestations) of each copied
 *     manifest
 * @param destination the name prefix the copies are stored under; null: the source's name
 * @param stripPrefix a name prefix taken off the source's name before {@code destination} is put in
 *     front; null: nothing stripped
 */
public record SyncContent(List<NameGlob> names, Pattern include, Pattern exclude, SemverRange semver, Integer newest,
    List<Platform> platforms, boolean referrers, String destination, String stripPrefix) {
  private static final ObjectMapper JSON = JsonMapper.builder().build();
  /** The most a config blob read for {@code newest} may hold: configs are small JSON. */
  private static final int MAX_CONFIG_BYTES = 4 * 1024 * 1024;

  /**
   * Checks the entry and copies its lists.
   *
   * @param names the image names or globs to copy, at least one
   * @param include a whole-tag regex to keep, or null
   * @param exclude a whole-tag regex to drop, or null
   * @param semver a version range to keep, or null
   * @param newest how many tags per image to keep, at least 1, or null
   * @param platforms the platforms of an index to copy; empty: all
   * @param referrers whether to copy referrers
   * @param destination the name prefix of the copies, or null
   * @param stripPrefix the name prefix to strip, or null
   * @throws IllegalArgumentException if {@code names} is empty or {@code newest} is below 1
   */
  public SyncContent {
    names = List.copyOf(names);
    platforms = List.copyOf(platforms);
    if (names.isEmpty()) {
      throw new IllegalArgumentException("names: at least one name or pattern");
    }
    if (newest != null && newest < 1) {
      throw new IllegalArgumentException("tags.newest: " + newest + " is not a positive number");
    }
  }

  /**
   * One image to copy: {@code sourceName:tag} to {@code targetName:tag}.
   *
   * @param sourceName the image's name at the source
   * @param tag the tag to copy, the same at the source and the target
   * @param targetName the image's name at the target ({@link #targetName(String)})
   */
  public record Selected(String sourceName, String tag, String targetName) {
    /**
     * Names the image as reports do.
     *
     * @return {@code sourceName:tag}
     */
    @Override
    public String toString() {
      return sourceName + ":" + tag;
    }
  }

  /**
   * The filters that apply while copying, for {@link ImageCopier#copyTag}.
   *
   * @return this entry's platforms and referrers setting
   */
  public ImageCopier.Options copyOptions() {
    return new ImageCopier.Options(platforms, referrers);
  }

  /**
   * Lists the images this entry selects at {@code source} now, applying the name and tag filters
   * in order. A literal name the source does not know selects nothing. With {@code newest}, the
   * creation times cost a manifest and a config GET per candidate tag at the source.
   *
   * @param source the source to list; only read
   * @return the selected images by source name and tag, with their target names; names in the
   *     order of {@code names} (a glob's matches sorted), tags in the source's order (with
   *     {@code newest}: newest first)
   * @throws IllegalArgumentException when a glob needs a catalog the source does not have, or a
   *     name would be stored under an invalid image name ({@link #targetName})
   * @throws IOException if the source fails
   */
  public List<Selected> select(SyncSource source) throws IOException {
    return select(source, listings(source));
  }

  /**
   * One image name the source knows, with every tag it listed for it (before the tag filters).
   *
   * @param sourceName the image's name at the source
   * @param targetName the image's name at the target ({@link #targetName(String)})
   * @param tags every tag the source listed for the image
   */
  public record Listing(String sourceName, String targetName, List<String> tags) {
    /**
     * Copies the tags.
     *
     * @param sourceName the image's name at the source
     * @param targetName the image's name at the target
     * @param tags every tag the source listed for the image; not null
     */
    public Listing {
      tags = List.copyOf(tags);
    }
  }

  /**
   * Lists the names this entry selects at {@code source} with their tags: the first half of
   * {@link #select}. A name the source does not know (its tag listing answered "unknown") is not
   * in the answer; a source that fails throws, so nothing here stands for an error.
   *
   * @param source the source to list; only read
   * @return the names the source knows, in the order of {@code names} (a glob's matches sorted)
   * @throws IllegalArgumentException when a glob needs a catalog the source does not have, or a
   *     name would be stored under an invalid image name ({@link #targetName})
   * @throws IOException if the source fails
   */
  public List<Listing> listings(SyncSource source) throws IOException {
    List<Listing> out = new ArrayList<>();
    for (String name : matchingNames(source)) {
      Optional<List<String>> tags = source.tags(name);
      if (tags.isPresent()) { // else a literal name the source does not know: nothing to copy
        out.add(new Listing(name, targetName(name), tags.get()));
      }
    }
    return out;
  }

  /**
   * The images of {@code listings} that the tag filters keep: the second half of {@link #select}.
   *
   * @param source the source, read for creation times with {@code newest}
   * @param listings from {@link #listings}
   * @return the selected images, tags in the source's order (with {@code newest}: newest first)
   * @throws IOException if the source fails
   */
  public List<Selected> select(SyncSource source, List<Listing> listings) throws IOException {
    List<Selected> out = new ArrayList<>();
    for (Listing l : listings) {
      List<String> kept = new ArrayList<>();
      for (String tag : l.tags()) {
        if (admits(tag)) {
          kept.add(tag);
        }
      }
      if (newest != null && kept.size() > newest) {
        kept = newest(source, l.sourceName(), kept, newest);
      }
      for (String tag : kept) {
        out.add(new Selected(l.sourceName(), tag, l.targetName()));
      }
    }
    return out;
  }

  /**
   * Whether {@code tag} passes {@code include}, {@code exclude} and {@code semver} (not
   * {@code newest}, which depends on the other tags): the tags this entry looks after.
   *
   * @param tag a tag
   * @return whether the tag filters keep it
   */
  public boolean admits(String tag) {
    return (include == null || include.matcher(tag).matches())
        && (exclude == null || !exclude.matcher(tag).matches())
        && (semver == null || semver.admits(tag));
  }

  private Set<String> matchingNames(SyncSource source) throws IOException {
    Set<String> out = new LinkedHashSet<>();
    boolean allLiteral = names.stream().allMatch(NameGlob::isLiteral);
    if (allLiteral) {
      names.forEach(n -> out.add(n.text()));
      return out;
    }
    List<String> catalog = source.catalog().orElseThrow(() -> new IllegalArgumentException(source.describe()
        + " has no catalog, so names must be literal; " + names.stream().filter(n -> !n.isLiteral())
            .map(NameGlob::text).toList() + " cannot be listed there"));
    for (NameGlob glob : names) {
      if (glob.isLiteral()) {
        out.add(glob.text());
      } else {
        catalog.stream().filter(glob::matches).sorted().forEach(out::add);
      }
    }
    return out;
  }

  /**
   * The name a source image is stored under: {@code destination/} followed by the source name
   * without {@code stripPrefix/} (a name that does not start with it keeps its whole name), e.g.
   * {@code library/alpine} with destination {@code base} and stripPrefix {@code library} is
   * {@code base/alpine}.
   *
   * @param sourceName the image's name at the source
   * @return the image's name at the target
   * @throws IllegalArgumentException if the result is no valid image name
   */
  public String targetName(String sourceName) {
    String rest = sourceName;
    if (stripPrefix != null && (rest.equals(stripPrefix) || rest.startsWith(stripPrefix + "/"))) {
      rest = rest.length() == stripPrefix.length() ? "" : rest.substring(stripPrefix.length() + 1);
    }
    String out = destination == null ? rest : rest.isEmpty() ? destination : destination + "/" + rest;
    if (!ImageName.isValid(out)) {
      throw new IllegalArgumentException("image " + sourceName + " would be stored as \"" + out
          + "\", which is no valid image name (check destination and stripPrefix)");
    }
    return out;
  }

  /**
   * The {@code n} newest of {@code tags}: by the {@code created} time of the image's config, or of
   * the newest child of an index; an image without one counts as oldest. Ties go by tag name,
   * highest first, so the answer does not depend on the source's listing order.
   */
  private static List<String> newest(SyncSource source, String name, List<String> tags, int n) throws IOException {
    Map<String, Instant> created = new TreeMap<>();
    for (String tag : tags) {
      created.put(tag, created(source, name, tag, 0).orElse(Instant.EPOCH));
    }
    return created.entrySet().stream()
        .sorted(Comparator.<Map.Entry<String, Instant>, Instant>comparing(Map.Entry::getValue)
            .thenComparing(Map.Entry::getKey).reversed())
        .limit(n).map(Map.Entry::getKey).toList();
  }

  private static Optional<Instant> created(SyncSource source, String name, String reference, int depth)
      throws IOException {
    Optional<SyncSource.SourceManifest> m = source.manifest(name, reference);
    if (m.isEmpty() || depth > 1) {
      return Optional.empty();
    }
    try {
      JsonNode root = JSON.readTree(m.get().bytes());
      JsonNode children = root.get("manifests");
      if (children != null && children.isArray()) {
        Optional<Instant> newest = Optional.empty();
        for (JsonNode child : children) {
          JsonNode d = child.get("digest");
          if (d != null && d.isString()) {
            Optional<Instant> c = created(source, name, d.asString(), depth + 1);
            if (c.isPresent() && (newest.isEmpty() || c.get().isAfter(newest.get()))) {
              newest = c;
            }
          }
        }
        return newest;
      }
      JsonNode config = root.get("config");
      JsonNode digest = config == null ? null : config.get("digest");
      if (digest == null || !digest.isString()) {
        return Optional.empty();
      }
      Optional<SyncSource.SourceBlob> blob = source.blob(name, Digest.parse(digest.asString()));
      if (blob.isEmpty()) {
        return Optional.empty();
      }
      try (SyncSource.SourceBlob b = blob.get(); InputStream in = b.body()) {
        JsonNode c = JSON.readTree(in.readNBytes(MAX_CONFIG_BYTES));
        JsonNode at = c == null ? null : c.get("created");
        return at == null || !at.isString() ? Optional.empty() : Optional.of(Instant.parse(at.asString()));
      }
    } catch (JacksonException | DateTimeParseException | io.wharf.core.error.RegistryException unreadable) {
      return Optional.empty(); // no readable time: counts as oldest
    }
  }
}
