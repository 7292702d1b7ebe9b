package io.wharf.proxy;

/** How a proxy maps image names onto its upstream, as Nexus's "Docker index" setting does. */
public enum IndexMode {
  /**
   * Docker Hub: a single-segment name is an official image under {@code library/}, so
   * {@code alpine} and {@code library/alpine} are the same image (and the same cache entry).
   */
  HUB,
  /** Any other registry: names pass through unchanged. */
  REGISTRY
}
