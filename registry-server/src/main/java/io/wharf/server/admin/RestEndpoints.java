package io.wharf.server.admin;

import java.io.IOException;

/**
 * One group of REST endpoints (repositories, search, tasks, users ...). A {@link RestServlet}
 * offers each call to its groups in order; the first that recognises the path serves it.
 * Groups only parse the call and shape the answer: what is shown to whom is decided by the
 * services they call.
 */
@FunctionalInterface
interface RestEndpoints {

  /**
   * Serves {@code call} if its path is one of this group's.
   *
   * @return false if the path is not this group's (the next group is asked)
   * @throws ManagementException for a refusal, mapped to the API's error shape
   */
  boolean serve(RestCall call) throws IOException;
}
