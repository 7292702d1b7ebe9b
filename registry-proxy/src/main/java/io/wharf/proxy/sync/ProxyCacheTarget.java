package io.wharf.proxy.sync;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.proxy.ProxyRepository;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.Set;

/**
 * A proxy repository's cache as the target of a pull rule, which then pre-warms the cache. The
 * rule's source is the proxy itself ({@link RepositorySource} of the same repository), so every
 * manifest and blob the copier reads is fetched and cached by the proxy's own pull path, exactly as
 * a client's pull would be (verified, single-flight, recorded in its access log, which eviction
 * reads). This target only tells the copier which blobs the cache holds already (they are then
 * not read at all) and reads to the end the blobs it is handed, so that the proxy stores them.
 *
 * <p>Every run walks each selected image again ({@link #tagged} knows no tag: reading the tag
 * through the proxy revalidates it), but what the cache holds costs no download.
 */
public final class ProxyCacheTarget implements SyncTarget {
  private final ProxyRepository proxy;

  /**
   * A target warming {@code proxy}'s cache; the rule's source must read through the same proxy.
   *
   * @param proxy the proxy repository the rule belongs to
   */
  public ProxyCacheTarget(ProxyRepository proxy) {
    this.proxy = proxy;
  }

  @Override
  public String describe() {
    return "the cache of " + proxy.name();
  }

  @Override
  public Optional<Digest> tagged(String name, String tag) {
    return Optional.empty(); // the source's read of the tag has just cached (or revalidated) it
  }

  @Override
  public boolean hasManifest(String name, Digest digest) {
    return false; // read through the proxy: a cached manifest is a local read, a missing one is cached then
  }

  @Override
  public boolean hasBlob(String name, Digest digest) throws IOException {
    if (proxy.storage().stat(proxy.layout().blobData(digest)).isEmpty()) {
      return false;
    }
    // cached, perhaps for another image: the proxy links it to this one as a pull of it would
    return proxy.getBlob(ImageName.of(name), digest).isPresent();
  }

  @Override
  public void putBlob(String name, Digest digest, long size, InputStream body) throws IOException {
    body.transferTo(OutputStream.nullOutputStream()); // the proxy stores the blob as it is read to its end
  }

  @Override
  public void putManifest(String name, String reference, String mediaType, byte[] bytes, Set<Digest> leftOutChildren) {
    // cached by the proxy when the copier read it
  }
}
