package io.wharf.core.repository;

/** The three kinds of repository, as Nexus has them. */
public enum RepositoryType {
  HOSTED,
  PROXY,
  GROUP
}
