package io.wharf.proxy;

/**
 * What a {@link ProxyRepository} tells an observer about its cache, for metrics in the style of
 * CNCF distribution's {@code registry_proxy_*}: each manifest or blob request, whether the cache
 * answered it (a hit) or the upstream had to be asked for the content (a miss), and the bytes
 * pulled from the upstream. One instance per repository, so an implementation binds the
 * repository's name once and pays nothing per call for it.
 *
 * <p>Called on request threads and download threads, concurrently; implementations must be
 * thread-safe and cheap (a counter increment), and must not throw.
 */
public interface ProxyMetrics {

  /** What was asked for. */
  enum Kind {
    /** A manifest, by tag or digest. */
    MANIFEST,
    /** A blob. */
    BLOB
  }

  /** Records nothing: the default. */
  ProxyMetrics NONE = new ProxyMetrics() {};

  /**
   * A request for a manifest or a blob reached the proxy.
   *
   * @param kind what was asked for
   */
  default void request(Kind kind) {}

  /**
   * The request was answered from the cache (a tag revalidated by a {@code HEAD}, or served stale
   * while the upstream fails, counts as a hit: no content came from upstream).
   *
   * @param kind what was asked for
   */
  default void hit(Kind kind) {}

  /**
   * The request needed the content from upstream (its own download, or one it joined).
   *
   * @param kind what was asked for
   */
  default void miss(Kind kind) {}

  /**
   * {@code bytes} arrived from the upstream (called as they arrive, for blobs).
   *
   * @param kind what arrived
   * @param bytes how many bytes arrived
   */
  default void pulled(Kind kind, long bytes) {}
}
