package io.wharf.server.auth;

import java.io.IOException;

/**
 * Who may do what: {@link io.wharf.server.http.RegistryServlet} asks after it has routed a request
 * (so the repository is known) and before any endpoint runs.
 *
 * <pre>
 * RegistryServlet open    = new RegistryServlet(router);                       // AccessControl.ALLOW_ALL
 * RegistryServlet secured = new RegistryServlet(router, RegistrySecurity.builder()...build());
 * </pre>
 *
 * <p>Implementations are called concurrently from the request threads.
 */
public interface AccessControl {

  /** What {@link #authorize} lets through. Refusals are exceptions. */
  enum Verdict {
    /** Go ahead. */
    ALLOW,
    /**
     * Go ahead, but as a plain upload: the cross-repository mount this request asks for
     * ({@code ?mount=&from=}) names a source the caller may not read, so it is ignored, as the
     * spec allows a registry to do (the client then uploads the blob).
     */
    ALLOW_WITHOUT_MOUNT
  }

  /** Lets everything through: the behaviour of a servlet mounted without security. */
  AccessControl ALLOW_ALL = call -> Verdict.ALLOW;

  /**
   * Decides whether {@code call} may proceed.
   *
   * @throws UnauthorizedException (401, with a challenge) when credentials are missing, wrong or
   *     not enough, {@link io.wharf.core.error.RegistryException} with {@code DENIED} (403) when the
   *     caller is known but not allowed, or {@code TOOMANYREQUESTS} (429) while logins are throttled
   * @param call the routed request
   * @return whether and how the call goes ahead
   */
  Verdict authorize(ApiCall call);

  /**
   * Answers requests for endpoints of the access control itself (the token endpoint), before
   * {@link #authorize}. Returns {@code false} for everything else.
   *
   * @param call the routed request
   * @return true when the call was answered here
   * @throws IOException if writing the answer fails
   */
  default boolean serve(ApiCall call) throws IOException {
    return false;
  }

  /**
   * Called after an endpoint answered {@code call} without an error, with the response status.
   *
   * @param call the answered request
   * @param status the response status
   */
  default void completed(ApiCall call, int status) {}

  /**
   * The user {@link #authorize} found for {@code call}; null for anonymous (and without security).
   *
   * @param call a request {@link #authorize} let through
   * @return the user name, or null
   */
  default String user(ApiCall call) {
    return null;
  }
}
