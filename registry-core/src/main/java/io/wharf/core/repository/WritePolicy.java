package io.wharf.core.repository;

/** What a hosted repository accepts, as Nexus names it. */
public enum WritePolicy {
  /** Pushes and deletes are allowed; tags may move. */
  ALLOW,
  /** A tag, once written, keeps its digest (re-pushing the same digest is fine). Deletes are refused. */
  ALLOW_ONCE,
  /** Read-only: every push and delete is refused. */
  DENY
}
