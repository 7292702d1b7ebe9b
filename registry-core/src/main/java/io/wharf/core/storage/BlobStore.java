package io.wharf.core.storage;

import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.repository.Blob;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Content-addressed blobs, stored once under {@code blobs/} and made visible per image through
 * {@code _layers} links (distribution's linked blob store). An unlinked blob is unknown to an
 * image even if its bytes exist: that is what keeps one team's layers out of another's image.
 */
public final class BlobStore {
  /**
   * A link older than this is rewritten when a manifest push references its blob (see {@link
   * #refreshLink}); online garbage collection treats a blob whose link is younger than its own,
   * larger window as referenced.
   */
  public static final Duration LINK_REFRESH_AFTER = Duration.ofSeconds(1);

  private final StorageDriver driver;
  private final StorageLayout layout;

  public BlobStore(StorageDriver driver, StorageLayout layout) {
    this.driver = driver;
    this.layout = layout;
  }

  /** Size and time of the stored bytes of {@code digest}, whoever links them. */
  public Optional<FileInfo> stat(Digest digest) throws IOException {
    return driver.stat(layout.blobData(digest)).filter(f -> !f.directory());
  }

  public boolean isLinked(ImageName image, Digest digest) throws IOException {
    return driver.stat(layout.layerLink(image, digest)).isPresent();
  }

  /**
   * For a manifest push that references {@code digest}: true if the blob is linked into {@code
   * image} and its bytes are stored. A link older than {@link #LINK_REFRESH_AFTER} is rewritten
   * first (same content, new modification time): a garbage collection running meanwhile then sees
   * that the blob is referenced again and does not delete it, although its mark phase missed the
   * new manifest (see {@code io.wharf.core.gc.GarbageCollector}). Only links that exist are
   * rewritten, so this never makes a blob visible in an image.
   */
  public boolean refreshLink(ImageName image, Digest digest) throws IOException {
    Optional<FileInfo> link = driver.stat(layout.layerLink(image, digest));
    if (link.isEmpty()) {
      return false;
    }
    if (link.get().modified().isBefore(Instant.now().minus(LINK_REFRESH_AFTER))) {
      link(image, digest);
    }
    return stat(digest).isPresent();
  }

  /** The blob as {@code image} sees it: linked there and present in storage. */
  public Optional<Blob> get(ImageName image, Digest digest) throws IOException {
    if (!isLinked(image, digest)) {
      return Optional.empty();
    }
    return stat(digest).map(info -> new StoredBlob(new Descriptor(null, digest, info.size()), layout.blobData(digest)));
  }

  /** Makes {@code digest} visible in {@code image}. Idempotent. */
  public void link(ImageName image, Digest digest) throws IOException {
    driver.putContent(layout.layerLink(image, digest), digest.value().getBytes(StandardCharsets.US_ASCII));
  }

  /** Removes the link; the bytes stay until garbage collection finds them unreferenced. */
  public void unlink(ImageName image, Digest digest) throws IOException {
    driver.delete(layout.layerDir(image, digest));
  }

  /**
   * Moves verified bytes at {@code from} into their content-addressed place. If the blob is
   * already stored, it is replaced all the same (same digest, same bytes, one atomic move): the
   * fresh modification time tells a garbage collection running now that the blob is wanted again.
   */
  public void commit(String from, Digest digest) throws IOException {
    driver.move(from, layout.blobData(digest));
  }

  /** Reads a small blob (a manifest) whole; empty if absent. */
  public Optional<byte[]> readSmall(Digest digest) throws IOException {
    return driver.getContent(layout.blobData(digest));
  }

  /**
   * Stores a small blob (a manifest) atomically. An existing copy is rewritten (same bytes) for
   * the same reason as in {@link #commit}: a manifest pushed again must look new to a garbage
   * collection in progress.
   */
  public void putSmall(Digest digest, byte[] content) throws IOException {
    driver.putContent(layout.blobData(digest), content);
  }

  private final class StoredBlob implements Blob {
    private final Descriptor descriptor;
    private final String path;

    StoredBlob(Descriptor descriptor, String path) {
      this.descriptor = descriptor;
      this.path = path;
    }

    @Override
    public Descriptor descriptor() {
      return descriptor;
    }

    @Override
    public SeekableByteChannel open() throws IOException {
      return driver.reader(path);
    }

    @Override
    public Optional<URI> redirectUrl() throws IOException {
      return driver.redirectUrl(path);
    }
  }
}
