package io.wharf.core.storage;

import io.wharf.core.manifest.Manifest;
import io.wharf.core.manifest.ManifestParser;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Manifests of an image: bytes stored as blobs, membership by {@code _manifests/revisions}
 * links, and Wharf's referrers index ({@code _referrers}) kept beside them. Reads are cached
 * (manifests are immutable; only their membership changes, and local deletes invalidate).
 */
public final class ManifestStore {
  private record Key(ImageName image, Digest digest) {}

  private final StorageDriver driver;
  private final StorageLayout layout;
  private final BlobStore blobs;
  private final MetadataCache<Key, Manifest> cache;

  /**
   * The manifests of the repository whose storage and layout these are.
   *
   * @param driver the storage, already path-checked
   * @param layout the repository's layout
   * @param blobs the repository's blobs, which hold the manifests' bytes
   * @param cacheTtl how long a read may be served from memory; zero for no cache
   */
  public ManifestStore(StorageDriver driver, StorageLayout layout, BlobStore blobs, Duration cacheTtl) {
    this.driver = driver;
    this.layout = layout;
    this.blobs = blobs;
    this.cache = new MetadataCache<>(cacheTtl, 10_000);
  }

  /**
   * The manifest if it is part of {@code image}.
   *
   * @param image the image
   * @param digest the manifest's digest
   * @return the manifest, or empty if it is not part of the image
   * @throws IOException if storage fails
   */
  public Optional<Manifest> get(ImageName image, Digest digest) throws IOException {
    Key key = new Key(image, digest);
    Optional<Manifest> cached = cache.get(key);
    if (cached.isPresent()) {
      return cached;
    }
    if (!exists(image, digest)) {
      return Optional.empty();
    }
    Optional<Manifest> m = blobs.readSmall(digest).map(ManifestParser::parseStored);
    m.ifPresent(v -> cache.put(key, v));
    return m;
  }

  /**
   * {@return true if the manifest is part of {@code image} (its revision link exists)}
   *
   * @param image the image
   * @param digest the manifest's digest
   * @throws IOException if storage fails
   */
  public boolean exists(ImageName image, Digest digest) throws IOException {
    return cache.get(new Key(image, digest)).isPresent()
        || driver.stat(layout.manifestRevisionLink(image, digest)).isPresent();
  }

  /**
   * For the push of an index that lists {@code digest}: true if the manifest is part of {@code
   * image} and its bytes are stored. As {@link BlobStore#refreshLink}, an old revision link is
   * rewritten first and only then are the bytes looked at (strictly), so a concurrent garbage
   * collection keeps the child (and does not remove it as untagged), or this answers false.
   *
   * @param image the image
   * @param digest the listed manifest's digest
   * @return true if it is part of the image and stored
   * @throws IOException if storage fails
   */
  public boolean refresh(ImageName image, Digest digest) throws IOException {
    String path = layout.manifestRevisionLink(image, digest);
    Optional<FileInfo> revision = driver.stat(path);
    if (revision.isEmpty()) {
      return false;
    }
    if (revision.get().modified().isBefore(Instant.now().minus(BlobStore.LINK_REFRESH_AFTER))) {
      driver.putContent(path, link(digest));
    }
    return blobs.stat(digest).isPresent();
  }

  /**
   * Links the manifest into {@code image} (revision link, and its referrers entry), then stores
   * its bytes: in that order, as every write that references a blob (see {@link BlobStore}), so a
   * garbage collection that moved an old copy of the same manifest aside either finds the fresh
   * link or is overtaken by the fresh bytes.
   *
   * @param image the image
   * @param manifest the manifest, parsed from the bytes pushed
   * @throws IOException if storage fails
   */
  public void put(ImageName image, Manifest manifest) throws IOException {
    Digest digest = manifest.digest();
    if (manifest.subject().isPresent()) {
      driver.putContent(layout.referrerLink(image, manifest.subject().get().digest(), digest), link(digest));
    }
    driver.putContent(layout.manifestRevisionLink(image, digest), link(digest));
    blobs.putSmall(digest, manifest.bytes());
    cache.put(new Key(image, digest), manifest);
  }

  /**
   * After a push of {@code manifest} stored it: if its revision link is gone (a garbage
   * collection with {@code deleteUntagged} removed it as old and untagged just as this push
   * rewrote it), links it again. One stat on every push; the collector checks the other side
   * (the manifest's bytes are fresh) after its delete, so one of the two always sees the other.
   *
   * @param image the image
   * @param manifest the manifest just stored
   * @throws IOException if storage fails
   */
  public void ensureLinked(ImageName image, Manifest manifest) throws IOException {
    if (driver.stat(layout.manifestRevisionLink(image, manifest.digest())).isEmpty()) {
      put(image, manifest);
    }
  }

  /**
   * Unlinks the manifest from {@code image}; returns false if it was not there.
   *
   * @param image the image
   * @param digest the manifest's digest
   * @return true if it was unlinked
   * @throws IOException if storage fails
   */
  public boolean delete(ImageName image, Digest digest) throws IOException {
    Optional<Manifest> m = get(image, digest);
    if (m.isEmpty()) {
      return false;
    }
    cache.invalidate(new Key(image, digest));
    driver.delete(layout.manifestRevisionDir(image, digest));
    if (m.get().subject().isPresent()) {
      Digest subject = m.get().subject().get().digest();
      driver.delete(layout.referrerDir(image, subject, digest));
    }
    return true;
  }

  /**
   * Takes {@code referrer} out of the referrers index of {@code subject} in {@code image} (a proxy
   * whose upstream no longer lists it); the manifest itself stays, content-addressed.
   *
   * @param image the image
   * @param subject the digest referred to
   * @param referrer the referring manifest's digest
   * @throws IOException if storage fails
   */
  public void unlinkReferrer(ImageName image, Digest subject, Digest referrer) throws IOException {
    driver.delete(layout.referrerDir(image, subject, referrer));
  }

  /**
   * Digests of the manifests in {@code image} whose subject is {@code subject}.
   *
   * @param image the image
   * @param subject the digest referred to
   * @return the referrers' digests, unsorted; some may no longer be stored
   * @throws IOException if storage fails
   */
  public List<Digest> referrers(ImageName image, Digest subject) throws IOException {
    return StorageLayout.digestsUnder(driver, layout.referrersDir(image, subject));
  }


  static byte[] link(Digest digest) {
    return digest.value().getBytes(StandardCharsets.US_ASCII);
  }
}
