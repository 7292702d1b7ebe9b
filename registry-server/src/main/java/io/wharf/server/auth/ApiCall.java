package io.wharf.server.auth;

import io.wharf.server.http.QueryParameters;
import io.wharf.server.routing.RepositoryRouter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * A routed request as {@link AccessControl} sees it.
 *
 * @param path the percent-decoded path relative to the servlet context
 * @param router the router that produced {@code target}, to resolve other image names the same way
 * @param target where the request goes
 */
public record ApiCall(HttpServletRequest request, HttpServletResponse response, String path,
    RepositoryRouter router, RepositoryRouter.Target target) {

  /**
   * The image name as the client wrote it ({@code docker-hosted/team/app} with path routing), or null.
   *
   * @return the name the client wrote, or null for a request that names no image
   */
  public String clientName() {
    return target.route().name() == null ? null : target.namePrefix() + target.route().name();
  }

  /**
   * Where an image name the client writes (in a token scope, say) goes when it arrives the way
   * this request did: same port, same host, same base path. {@code null} if nowhere.
   *
   * @param clientName an image name as the client writes it
   * @return the repository and name it routes to, or null
   */
  public RepositoryRouter.Target resolve(String clientName) {
    String context = request.getContextPath() == null ? "" : request.getContextPath();
    String base = target.basePath().startsWith(context) ? target.basePath().substring(context.length()) : "";
    return router.route(context, base + "/v2/" + clientName + "/tags/list", request.getLocalPort(),
        request.getServerName());
  }

  /** Whether this is a request for {@code <base path>/v2/<rest>} (e.g. {@code rest = "token"}). */
  boolean isApiPath(String rest) {
    String context = request.getContextPath() == null ? "" : request.getContextPath();
    String base = target.basePath().startsWith(context) ? target.basePath().substring(context.length()) : "";
    return path.equals(base + "/v2/" + rest);
  }

  /**
   * A query-string parameter (never the body), or {@code null} if absent or empty.
   *
   * @param name the parameter's name
   * @return its first value, or null
   */
  public String query(String name) {
    return QueryParameters.get(request, name);
  }

  /** The client's address (behind a reverse proxy: from {@code X-Forwarded-For}, as Jetty applies it). */
  String clientAddress() {
    return request.getRemoteAddr();
  }
}
