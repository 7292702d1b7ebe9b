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

  /** The repositories served now. */
  Registry registry();

  /**
   * The configuration they were built from: the file's repositories (namespaces written out),
   * then those created through the API.
   */
  WharfConfig config();

  /** The names the configuration file declares: the API may not change or delete them. */
  Set<String> pinned();

  /** The port a repository's own listener is bound to, or null when it has none. */
  Integer boundPort(String repository);

  /** Whether {@link #apply} can change anything (false for a server of an embedder's registry). */
  boolean changeable();

  /**
   * Makes the repositories of {@code next} (a validated configuration over the same blob
   * stores) the running set: builds the new and changed ones (and the groups that hold them),
   * opens the ports they need, runs {@code persist}, then swaps routing, access rules and
   * maintenance at once and closes the ports no longer needed. Requests already routed finish
   * on the repository objects they got; unchanged repositories keep theirs. The content of a
   * repository that {@code next} no longer has is deleted from its blob store.
   *
   * @throws PortUnavailableException if a port cannot be opened (nothing changed)
   * @throws RuntimeException from {@code persist} (nothing changed)
   */
  void apply(WharfConfig next, Runnable persist);

  /** A repository's own port could not be opened (in use by another process, or not allowed). */
  final class PortUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String repository;
    private final int port;

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

  /** A fixed set: an embedder's registry, which the API can read but not change. */
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
