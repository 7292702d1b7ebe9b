package io.wharf.core.storage;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Tags of an image: {@code _manifests/tags/<tag>/current/link} holds the digest, and
 * {@code index/} keeps every digest the tag pointed at (as distribution does). Lookups are cached.
 */
public final class TagStore {
  private record Key(ImageName image, String tag) {}

  private final StorageDriver driver;
  private final StorageLayout layout;
  private final MetadataCache<Key, Digest> cache;

  /**
   * The tags of the repository whose storage and layout these are.
   *
   * @param driver the storage, already path-checked
   * @param layout the repository's layout
   * @param cacheTtl how long a lookup may be served from memory; zero for no cache
   */
  public TagStore(StorageDriver driver, StorageLayout layout, Duration cacheTtl) {
    this.driver = driver;
    this.layout = layout;
    this.cache = new MetadataCache<>(cacheTtl, 10_000);
  }

  /**
   * The digest {@code tag} points at.
   *
   * @param image the image
   * @param tag the tag
   * @return the digest, or empty if the image has no such tag
   * @throws IOException if storage fails
   */
  public Optional<Digest> resolve(ImageName image, Tag tag) throws IOException {
    Key key = new Key(image, tag.value());
    Optional<Digest> cached = cache.get(key);
    if (cached.isPresent()) {
      return cached;
    }
    Optional<Digest> d = driver.getContent(layout.tagCurrentLink(image, tag)).map(TagStore::parseLink);
    d.ifPresent(v -> cache.put(key, v));
    return d;
  }

  /**
   * When the tag was last written (pushed, or revalidated by a proxy), from the link's
   * modification time in storage, so every node sharing the storage sees the same answer.
   *
   * @param image the image
   * @param tag the tag
   * @return when, or empty if the image has no such tag
   * @throws IOException if storage fails
   */
  public Optional<Instant> lastWritten(ImageName image, Tag tag) throws IOException {
    return driver.stat(layout.tagCurrentLink(image, tag)).map(FileInfo::modified);
  }

  /**
   * Points {@code tag} at {@code digest}. The current link is replaced atomically.
   *
   * @param image the image
   * @param tag the tag
   * @param digest the manifest's digest
   * @throws IOException if storage fails
   */
  public void tag(ImageName image, Tag tag, Digest digest) throws IOException {
    byte[] link = ManifestStore.link(digest);
    driver.putContent(layout.tagIndexLink(image, tag, digest), link);
    driver.putContent(layout.tagCurrentLink(image, tag), link);
    cache.put(new Key(image, tag.value()), digest);
  }

  /**
   * Removes the tag; false if it did not exist.
   *
   * @param image the image
   * @param tag the tag
   * @return true if it was removed
   * @throws IOException if storage fails
   */
  public boolean untag(ImageName image, Tag tag) throws IOException {
    cache.invalidate(new Key(image, tag.value()));
    if (driver.stat(layout.tagCurrentLink(image, tag)).isEmpty()) {
      return false;
    }
    driver.delete(layout.tagDir(image, tag));
    return true;
  }

  /**
   * Every tag of {@code image}, sorted; empty if none.
   *
   * @param image the image
   * @return the tags
   * @throws IOException if storage fails
   */
  public List<String> list(ImageName image) throws IOException {
    List<String> tags = new ArrayList<>();
    for (String dir : driver.list(layout.tagsDir(image))) {
      String name = StorageLayout.lastSegment(dir);
      if (Tag.isValid(name)) {
        tags.add(name);
      }
    }
    tags.sort(null);
    return tags;
  }

  /** Reads a link file ("sha256:<hex>", possibly with trailing whitespace). */
  static Digest parseLink(byte[] content) {
    return Digest.parse(new String(content, StandardCharsets.US_ASCII).trim());
  }
}
