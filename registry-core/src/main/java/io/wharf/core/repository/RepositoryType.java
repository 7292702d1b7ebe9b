package io.wharf.core.repository;

/** The three kinds of repository, as Nexus has them. */
public enum RepositoryType {
  /** Clients push images to it and pull them from it; it stores them. */
  HOSTED,
  /** A pull-through cache of one upstream registry. */
  PROXY,
  /** Reads its members in order, as one repository; pushes go to its writable member, if any. */
  GROUP
}
