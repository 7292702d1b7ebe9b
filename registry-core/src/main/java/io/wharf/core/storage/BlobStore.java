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
 *
 * <p><b>Linking while garbage collection runs.</b> Every operation that makes a blob referenced
 * (a manifest push, a mount, an upload, a proxy's cache write) writes or refreshes its link
 * <em>first</em> and only then looks at (or writes) the bytes in {@code blobs/}, and that look is
 * strict: bytes the collector has moved to its trash do not count. The collector does the mirror
 * image: it moves a blob to the trash first and only then looks for fresh links. So either the
 * writer finds the bytes gone (and fails, or stores them again), or the collector finds the
 * writer's link and puts the bytes back; see {@code io.wharf.core.gc.GarbageCollector}.
 */
public final class BlobStore {
  /**
   * A link older than this is rewritten when a push references its blob (see {@link
   * #refreshLink}); younger links are left alone, so pushes of an image whose layers were just
   * uploaded or mounted cost no extra write. Online garbage collection treats a blob whose link
   * is younger than its window (at least {@code GarbageCollector.LINK_WINDOW_FLOOR}) as referenced.
   */
  public static final Duration LINK_REFRESH_AFTER = Duration.ofSeconds(1);

  /**
   * How long a manifest push may take from checking its references ({@link #refreshLink}) to
   * storing itself before it checks them again: the check's link writes must still be inside the
   * collector's link window when the manifest lands (see {@code GarbageCollector.LINK_WINDOW_FLOOR}).
   */
  public static final Duration REFERENCE_CHECK_VALID_FOR = Duration.ofSeconds(3);

  private final StorageDriver driver;
  private final StorageLayout layout;

  /**
   * The blobs of the repository whose storage and layout these are.
   *
   * @param driver the storage, already path-checked
   * @param layout the repository's layout (its namespace decides where its links are)
   */
  public BlobStore(StorageDriver driver, StorageLayout layout) {
    this.driver = driver;
    this.layout = layout;
  }

  /**
   * Size and time of the stored bytes of {@code digest}, whoever links them. Strict: bytes that
   * garbage collection has moved aside do not count, so this is the check a writer makes after
   * linking.
   *
   * @param digest the blob's digest
   * @return the stored bytes' size and time, or empty if they are not stored
   * @throws IOException if storage fails
   */
  public Optional<FileInfo> stat(Digest digest) throws IOException {
    return driver.stat(layout.blobData(digest)).filter(f -> !f.directory());
  }

  /**
   * {@return true if {@code digest} is linked into {@code image}, whether or not its bytes are
   * stored}
   *
   * @param image the image
   * @param digest the blob's digest
   * @throws IOException if storage fails
   */
  public boolean isLinked(ImageName image, Digest digest) throws IOException {
    return driver.stat(layout.layerLink(image, digest)).isPresent();
  }

  /**
   * For a manifest push that references {@code digest}: true if the blob is linked into {@code
   * image} and its bytes are stored. A link older than {@link #LINK_REFRESH_AFTER} is rewritten
   * first (same content, new modification time), <em>then</em> the bytes are looked at: a garbage
   * collection running meanwhile either sees that fresh link and keeps the blob, or has already
   * moved the bytes aside and this answers false (see the class comment). Only links that exist
   * are rewritten, so this never makes a blob visible in an image.
   *
   * @param image the image the manifest is pushed to
   * @param digest the referenced blob's digest
   * @return true if the blob is linked and stored
   * @throws IOException if storage fails
   */
  public boolean refreshLink(ImageName image, Digest digest) throws IOException {
    Optional<FileInfo> link = driver.stat(layout.layerLink(image, digest));
    if (link.isEmpty()) {
      return false;
    }
    touchLink(image, digest, link);
    return stat(digest).isPresent();
  }

  /**
   * Links {@code digest} into {@code image} if its bytes are stored, the safe way round: the link
   * is written (or refreshed, as in {@link #refreshLink}) first, then the bytes are looked at. If
   * they are not there, a link this call created is removed again and the answer is empty.
   * For mounts, groups adopting a blob and proxies linking a blob cached for another image.
   *
   * @param image the image to link the blob into
   * @param digest the blob's digest
   * @return the stored bytes' size and time, or empty if they are not stored (and nothing is
   *     linked)
   * @throws IOException if storage fails
   */
  public Optional<FileInfo> linkIfStored(ImageName image, Digest digest) throws IOException {
    Optional<FileInfo> before = driver.stat(layout.layerLink(image, digest));
    touchLink(image, digest, before);
    Optional<FileInfo> stored = stat(digest);
    if (stored.isEmpty() && before.isEmpty()) {
      unlink(image, digest);
    }
    return stored;
  }

  /** Writes the link unless one younger than {@link #LINK_REFRESH_AFTER} is there already. */
  private void touchLink(ImageName image, Digest digest, Optional<FileInfo> existing) throws IOException {
    if (existing.isEmpty() || existing.get().modified().isBefore(Instant.now().minus(LINK_REFRESH_AFTER))) {
      link(image, digest);
    }
  }

  /**
   * The blob as {@code image} sees it: linked there and present in storage. While garbage
   * collection has the bytes of a linked blob in its trash (between moving them aside and
   * putting them back, a moment), they are read from there, so a pull never sees a blob blink.
   *
   * @param image the image
   * @param digest the blob's digest
   * @return the blob, or empty if it is not linked into the image or not stored
   * @throws IOException if storage fails
   */
  public Optional<Blob> get(ImageName image, Digest digest) throws IOException {
    if (!isLinked(image, digest)) {
      return Optional.empty();
    }
    Optional<FileInfo> stored = stat(digest);
    if (stored.isPresent()) {
      return Optional.of(new StoredBlob(new Descriptor(null, digest, stored.get().size()), layout.blobData(digest), true));
    }
    String trashed = layout.gcTrash(digest);
    return driver.stat(trashed).filter(f -> !f.directory())
        .map(info -> new StoredBlob(new Descriptor(null, digest, info.size()), trashed, false));
  }

  /**
   * Makes {@code digest} visible in {@code image}. Idempotent.
   *
   * @param image the image
   * @param digest the blob's digest
   * @throws IOException if storage fails
   */
  public void link(ImageName image, Digest digest) throws IOException {
    driver.putContent(layout.layerLink(image, digest), digest.value().getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * Removes the link; the bytes stay until garbage collection finds them unreferenced.
   *
   * @param image the image
   * @param digest the blob's digest
   * @throws IOException if storage fails
   */
  public void unlink(ImageName image, Digest digest) throws IOException {
    driver.delete(layout.layerDir(image, digest));
  }

  /**
   * Moves verified bytes at {@code from} into their content-addressed place. If the blob is
   * already stored, it is replaced all the same (same digest, same bytes, one atomic move): the
   * fresh modification time tells a garbage collection running now that the blob is wanted again,
   * and whatever the collector does with the old copy, these bytes end in place (it only ever
   * deletes its trash). Link the blob before calling this (see the class comment).
   *
   * @param from the storage path of the verified bytes (an upload's data)
   * @param digest their digest
   * @throws IOException if storage fails
   */
  public void commit(String from, Digest digest) throws IOException {
    driver.move(from, layout.blobData(digest));
  }

  /**
   * Reads a small blob (a manifest) whole; empty if absent. For reads of a manifest an image
   * links: like {@link #get}, falls back to garbage collection's trash.
   *
   * @param digest the blob's digest
   * @return its bytes, or empty
   * @throws IOException if storage fails
   */
  public Optional<byte[]> readSmall(Digest digest) throws IOException {
    Optional<byte[]> stored = driver.getContent(layout.blobData(digest));
    return stored.isPresent() ? stored : driver.getContent(layout.gcTrash(digest));
  }

  /**
   * Stores a small blob (a manifest) atomically. An existing copy is rewritten (same bytes) for
   * the same reason as in {@link #commit}: a manifest pushed again must look new to a garbage
   * collection in progress, and its bytes end in place. Link it before calling this.
   *
   * @param digest the digest of {@code content}
   * @param content the bytes
   * @throws IOException if storage fails
   */
  public void putSmall(Digest digest, byte[] content) throws IOException {
    driver.putContent(layout.blobData(digest), content);
  }

  private final class StoredBlob implements Blob {
    private final Descriptor descriptor;
    private final String path;
    /** False for a copy in garbage collection's trash: it may move, so never hand out its URL. */
    private final boolean redirectable;

    StoredBlob(Descriptor descriptor, String path, boolean redirectable) {
      this.descriptor = descriptor;
      this.path = path;
      this.redirectable = redirectable;
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
      return redirectable ? driver.redirectUrl(path) : Optional.empty();
    }
  }
}
