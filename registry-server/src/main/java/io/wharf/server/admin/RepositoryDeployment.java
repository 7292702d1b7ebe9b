package io.wharf.server.admin;

import io.wharf.core.repository.Registry;
import io.wharf.server.config.WharfConfig;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The repositories a server runs now, and the one way to change them while it runs. The server
 * implements it (its listeners, routing and access rules follow each change at once); the
 * management services read it on every call, so they always see the current set.
 *
 * <p>{@link #apply} changes everything or nothing: a repository's port that cannot be opened
 * leaves the running set, the ports and the persisted document as they were.
 */
public interface RepositoryDeployment {

  /**
   * The repositories served now; ask again on every call, as an {@link #apply} replaces them.
   *
   * @return the running registry
   */
  Registry registry();

  /**
   * The configuration they were built from: the file's repositories (namespaces written out),
   * then those created through the API.
   *
   * @return the running configuration, with defaults applied
   */
  WharfConfig config();

  /**
   * The repositories the configuration file declares: the API may not change or delete them.
   *
   * @return their names
   */
  Set<String> pinned();

  /**
   * The port a repository's own listener is bound to (its {@code http.port}; the real one when
   * the configuration asked for 0).
   *
   * @param repository the repository's name
   * @return the port, or null when the repository has no listener of its own
   */
  Integer boundPort(String repository);

  /**
   * Whether {@link #apply} can change anything.
   *
   * @return false for a server of an embedder's registry, whose {@code apply} always refuses
   */
  boolean changeable();

  /**
   * Makes the repositories of {@code next} (a validated configuration over the same blob
   * stores) the running set: builds the new and changed ones (and the groups that hold them),
   * opens the ports they need, runs {@code persist}, then swaps routing, access rules and
   * maintenance at once and closes the ports no longer needed. Requests already routed finish
   * on the repository objects they got; unchanged repositories keep theirs. The content of a
   * repository that {@code next} no longer has is deleted from its blob store.
   *
   * @param next the configuration to run, validated, over the same blob stores
   * @param persist writes the API's document; runs after the ports are open and before the swap
   * @throws PortUnavailableException if a port cannot be opened (nothing changed)
   * @throws ManagementException {@code CONFLICT} when the repositories cannot be changed
   *     ({@link #changeable()} is false)
   * @throws RuntimeException from {@code persist} (nothing changed)
   */
  void apply(WharfConfig next, Runnable persist);

  /** A repository's own port could not be opened (in use by another process, or not allowed). */
  final class PortUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The repository whose listener could not be opened. */
    private final String repository;
    /** The port it asked for. */
    private final int port;

    /**
     * A repository's port that could not be opened; a create or update through the API answers
     * it as a 400 naming {@code docker.httpPort} (or {@code docker.httpsPort}), a reload as a 409.
     *
     * @param repository the repository whose listener could not be opened
     * @param port the port it asked for
     * @param cause the bind failure; its message ends this one's
     */
    public PortUnavailableException(String repository, int port, Throwable cause) {
      super("port " + port + " cannot be opened: " + cause.getMessage(), cause);
      this.repository = repository;
      this.port = port;
    }

    String repository() {
      return repository;
    }

    int port() {
      return port;
    }
  }

  /**
   * A fixed set: an embedder's registry, which the API can read but not change.
   *
   * @param registry the repositories
   * @param config the configuration they were built from; every repository in it is pinned
   * @param boundPort a repository's own port by name, null when it has none
   * @return a deployment whose {@link #apply} refuses with {@code CONFLICT}
   */
  static RepositoryDeployment fixed(Registry registry, WharfConfig config, Function<String, Integer> boundPort) {
    Objects.requireNonNull(registry);
    WharfConfig c = config.withDefaults();
    Objects.requireNonNull(boundPort);
    Set<String> names = Set.copyOf(c.repositories().stream().map(WharfConfig.Repository::name).toList());
    return new RepositoryDeployment() {
      @Override
      public Registry registry() {
        return registry;
      }

      @Override
      public WharfConfig config() {
        return c;
      }

      @Override
      public Set<String> pinned() {
        return names;
      }

      @Override
      public Integer boundPort(String repository) {
        return boundPort.apply(repository);
      }

      @Override
      public boolean changeable() {
        return false;
      }

      @Override
      public void apply(WharfConfig next, Runnable persist) {
        throw new ManagementException(ManagementException.Reason.CONFLICT,
            "this server serves a registry built by the application that embeds it; its repositories cannot be"
                + " changed through the API");
      }
    };
  }
}
