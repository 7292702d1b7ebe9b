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

  public static Builder builder() {
    return new Builder();
  }

  /** A registry of one repository, which is also the default. */
  public static Registry of(Repository repository) {
    return builder().add(repository).build();
  }

  public Optional<Repository> repository(String name) {
    return Optional.ofNullable(repositories.get(name));
  }

  public Collection<Repository> repositories() {
    return repositories.values();
  }

  public Repository defaultRepository() {
    return defaultRepository;
  }

  public static final class Builder {
    private final Map<String, Repository> repositories = new LinkedHashMap<>();
    private String defaultName;

    /** Adds a repository; the first one added is the default unless {@link #defaultRepository} says otherwise. */
    public Builder add(Repository repository) {
      Objects.requireNonNull(repository, "repository");
      if (repositories.putIfAbsent(repository.name(), repository) != null) {
        throw new IllegalArgumentException("duplicate repository name: " + repository.name());
      }
      return this;
    }

    public Builder defaultRepository(String name) {
      this.defaultName = name;
      return this;
    }

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
