package io.wharf.server.routing;

import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Repository;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Decides which repository serves a request, in this order:
 *
 * <ol>
 *   <li>the connector: a request to a repository's own port goes to that repository, whole
 *       ({@code /v2/} at the port's root, as Nexus's per-repository HTTP connectors);
 *   <li>Nexus's base path on the main port: {@code /repository/<repo>/v2/…}, so reverse-proxy
 *       setups written for Nexus keep working;
 *   <li>the host name on the main port ({@code Host}, or {@code X-Forwarded-Host} behind a proxy):
 *       a repository may claim host names such as {@code docker.sc.lan};
 *   <li>the first segment of the image name on the main port: {@code /v2/docker-hosted/team/app/…}
 *       is image {@code team/app} in repository {@code docker-hosted};
 *   <li>otherwise the main port's default repository.
 * </ol>
 *
 * The decision is one {@link Target}: the repository, the path prefix before {@code /v2} and the
 * name prefix the client used, so responses can point back at the same place.
 */
public final class RepositoryRouter {
  private static final String NEXUS_PREFIX = "/repository/";

  /**
   * Where a request goes.
   *
   * @param repository the repository that serves it
   * @param basePath what precedes {@code /v2} in the client's URLs (context path, Nexus base path)
   * @param namePrefix what precedes the image name in the client's URLs ({@code docker-hosted/} with
   *     path routing, else empty)
   * @param route the API route, with the image name as the repository knows it
   */
  public record Target(Repository repository, String basePath, String namePrefix, Route route) {}

  /**
   * What routing reads: replaced whole when repositories change live, so a request sees the old
   * set or the new one, never a mix, and a request already routed keeps its repository object.
   */
  private record Table(Registry registry, Repository mainDefault, Map<String, Repository> byHost,
      Map<Integer, Repository> byPort) {}

  private volatile Table table;

  /**
   * A router over {@code registry}'s repositories, with no repository bound to a port yet.
   *
   * @param registry the repositories, by name (path routing)
   * @param mainDefault the repository the main port serves when no host or path names another
   * @param byHost host names (lower case, no port) claimed by repositories
   */
  public RepositoryRouter(Registry registry, Repository mainDefault, Map<String, Repository> byHost) {
    this.table = new Table(Objects.requireNonNull(registry), Objects.requireNonNull(mainDefault), Map.copyOf(byHost),
        Map.of());
  }

  /**
   * A router that sends everything to the registry's default repository (an embedded servlet).
   *
   * @param registry the registry
   * @return the router
   */
  public static RepositoryRouter defaultOnly(Registry registry) {
    return new RepositoryRouter(registry, registry.defaultRepository(), Map.of());
  }

  /**
   * Declares that connections to local {@code port} belong to {@code repository}.
   *
   * @param port the local port of the repository's own connector
   * @param repository the repository it serves
   */
  public synchronized void bindPort(int port, Repository repository) {
    Map<Integer, Repository> byPort = new HashMap<>(table.byPort());
    byPort.put(port, Objects.requireNonNull(repository));
    table = new Table(table.registry(), table.mainDefault(), table.byHost(), Map.copyOf(byPort));
  }

  /**
   * Replaces everything routing reads at once (repositories changed while the server runs):
   * requests routed from now on see only the new set; those already routed finish on the
   * repository objects they got.
   *
   * @param byHost host names (lower case, no port) claimed by repositories
   * @param byPort the local ports of repositories' own listeners
   * @param registry the repositories, by name
   * @param mainDefault the repository the main port serves by default
   */
  public synchronized void replace(Registry registry, Repository mainDefault, Map<String, Repository> byHost,
      Map<Integer, Repository> byPort) {
    table = new Table(Objects.requireNonNull(registry), Objects.requireNonNull(mainDefault), Map.copyOf(byHost),
        Map.copyOf(byPort));
  }

  /**
   * Routes a request.
   *
   * @param contextPath the servlet context path
   * @param path the percent-decoded path relative to the context
   * @param localPort the port the connection arrived on
   * @param host the request's host name (already reflecting {@code X-Forwarded-Host}), or null
   * @return where it goes, or {@code null} if the path is not under an API root
   */
  public Target route(String contextPath, String path, int localPort, String host) {
    Table t = table; // one snapshot per request
    Repository byConnector = t.byPort().get(localPort);
    if (byConnector != null) {
      String rest = apiRest(path);
      return rest == null ? null : new Target(byConnector, contextPath, "", Route.parse(rest));
    }
    if (path.startsWith(NEXUS_PREFIX)) {
      int slash = path.indexOf('/', NEXUS_PREFIX.length());
      String name = slash < 0 ? path.substring(NEXUS_PREFIX.length()) : path.substring(NEXUS_PREFIX.length(), slash);
      String rest = slash < 0 ? null : apiRest(path.substring(slash));
      return t.registry().repository(name)
          .filter(r -> rest != null)
          .map(r -> new Target(r, contextPath + NEXUS_PREFIX + name, "", Route.parse(rest)))
          .orElse(null);
    }
    String rest = apiRest(path);
    if (rest == null) {
      return null;
    }
    Route route = Route.parse(rest);
    Repository hostRepository = host == null ? null : t.byHost().get(host.toLowerCase(Locale.ROOT));
    if (hostRepository != null) {
      return new Target(hostRepository, contextPath, "", route);
    }
    if (route.name() != null) {
      int slash = route.name().indexOf('/');
      if (slash > 0) {
        String first = route.name().substring(0, slash);
        Repository named = t.registry().repository(first).orElse(null);
        if (named != null) {
          Route inner = new Route(route.kind(), route.name().substring(slash + 1), route.argument());
          return new Target(named, contextPath, first + "/", inner);
        }
      }
    }
    return new Target(t.mainDefault(), contextPath, "", route);
  }

  /** What follows {@code /v2/} in {@code path} ({@code ""} for {@code /v2} itself), or null. */
  private static String apiRest(String path) {
    if (path.equals("/v2") || path.equals("/v2/")) {
      return "";
    }
    return path.startsWith("/v2/") ? path.substring(4) : null;
  }
}
