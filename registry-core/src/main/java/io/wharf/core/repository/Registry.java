package io.wharf.core.repository;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The repositories one server (or one embedding application) serves, by name, and the default
 * one that answers requests no route claims.
 *
 * <pre>
 * Registry registry = Registry.builder()
 *     .add(HostedRepository.builder("docker-hosted", new FilesystemDriver(Path.of("data"))).build())
 *     .build();
 * </pre>
 */
public final class Registry {
  private final Map<String, Repository> repositories;
  private final Repository defaultRepository;

  private Registry(Map<String, Repository> repositories, Repository defaultRepository) {
    this.repositories = Collections.unmodifiableMap(repositories);
    this.defaultRepository = defaultRepository;
  }

  /** {@return a builder with no repositories} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A registry of one repository, which is also the default.
   *
   * @param repository the repository
   * @return the registry
   */
  public static Registry of(Repository repository) {
    return builder().add(repository).build();
  }

  /**
   * {@return the repository named {@code name}, or empty}
   *
   * @param name the repository's name
   */
  public Optional<Repository> repository(String name) {
    return Optional.ofNullable(repositories.get(name));
  }

  /** {@return every repository, in the order they were added; unmodifiable} */
  public Collection<Repository> repositories() {
    return repositories.values();
  }

  /** {@return the repository that answers requests no route claims} */
  public Repository defaultRepository() {
    return defaultRepository;
  }

  /** Collects the repositories of a {@link Registry}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, Repository> repositories = new LinkedHashMap<>();
    private String defaultName;

    private Builder() {}

    /**
     * Adds a repository; the first one added is the default unless {@link #defaultRepository} says
     * otherwise.
     *
     * @param repository the repository, whose name must be new
     * @return this builder
     * @throws IllegalArgumentException if a repository of that name was added already
     */
    public Builder add(Repository repository) {
      Objects.requireNonNull(repository, "repository");
      if (repositories.putIfAbsent(repository.name(), repository) != null) {
        throw new IllegalArgumentException("duplicate repository name: " + repository.name());
      }
      return this;
    }

    /**
     * Makes the repository named {@code name} the default, instead of the first added.
     *
     * @param name the name of a repository added (before or after this call)
     * @return this builder
     */
    public Builder defaultRepository(String name) {
      this.defaultName = name;
      return this;
    }

    /**
     * Builds the registry.
     *
     * @return the registry
     * @throws IllegalStateException if no repository was added
     * @throws IllegalArgumentException if the default repository's name is not one added
     */
    public Registry build() {
      if (repositories.isEmpty()) {
        throw new IllegalStateException("a registry needs at least one repository");
      }
      Repository def = defaultName == null
          ? repositories.values().iterator().next()
          : Optional.ofNullable(repositories.get(defaultName))
              .orElseThrow(() -> new IllegalArgumentException("unknown default repository: " + defaultName));
      return new Registry(new LinkedHashMap<>(repositories), def);
    }
  }
}
