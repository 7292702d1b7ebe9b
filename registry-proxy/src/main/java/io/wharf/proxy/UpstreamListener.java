package io.wharf.proxy;

/**
 * Hears when a {@link ProxyRepository}'s upstream is auto-blocked and when it is unblocked (for
 * events). Called on the thread whose upstream call made the change, outside the proxy's locks;
 * must not throw.
 */
public interface UpstreamListener {
  /** Hears nothing: the default. */
  UpstreamListener NONE = new UpstreamListener() {};

  /**
   * The upstream failed often enough to be blocked ({@code status} says until when and why). A
   * block renewed by a failed probe is not told again: the upstream stays blocked.
   *
   * @param repository the proxy repository's name
   * @param upstream the upstream's host ({@code registry-1.docker.io})
   * @param status the block: until when, after how many failures, the last error
   */
  default void blocked(String repository, String upstream, UpstreamStatus status) {}

  /**
   * A blocked upstream answered again: calls go through.
   *
   * @param repository the proxy repository's name
   * @param upstream the upstream's host
   */
  default void unblocked(String repository, String upstream) {}
}
