package io.wharf.core.quota;

/**
 * Hears what a repository's {@link Quota} does to pushes (for events): called on the pushing
 * request's thread, so {@link io.wharf.core.repository.Actor} names who pushed. Must be cheap and
 * must not throw: the push's outcome does not depend on it.
 */
public interface QuotaListener {
  /** Hears nothing: the default. */
  QuotaListener NONE = new QuotaListener() {};

  /**
   * A push left the repository's usage over its soft limit while it was at or under it before
   * (as far as this node knows: once per crossing, again after usage was seen under the limit).
   *
   * @param repository the repository's name
   * @param usedBytes its usage after the push
   * @param quota its quota
   */
  default void softLimitPassed(String repository, long usedBytes, Quota quota) {}

  /**
   * A push was refused because it would take usage over the hard limit.
   *
   * @param repository the repository's name
   * @param refusal the exception the push failed with, which says by how much
   */
  default void refused(String repository, QuotaExceededException refusal) {}
}
