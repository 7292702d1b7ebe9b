package io.wharf.server.admin;

import java.io.IOException;
import java.util.Objects;

/**
 * Nexus's repository endpoints:
 * <pre>
 * GET /v1/repositories                         the repositories the caller may read
 * GET /v1/repositories/{name}                  one of them (404 otherwise)
 * GET /v1/repositories/docker/{type}/{name}    its settings (admin)
 * GET /v1/repositorySettings                   the settings of every repository the caller administers
 * </pre>
 */
final class RepositoryEndpoints implements RestEndpoints {
  private final RepositoryService repositories;

  RepositoryEndpoints(RepositoryService repositories) {
    this.repositories = Objects.requireNonNull(repositories);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    if (call.matches("v1", "repositories")) {
      call.allow("GET");
      call.send(repositories.list(call.caller(), call.base()));
    } else if (call.matches("v1", "repositorySettings")) {
      call.allow("GET");
      call.send(repositories.settings(call.caller(), call.base()));
    } else if (call.matches("v1", "repositories", "*")) {
      call.allow("GET");
      call.send(repositories.get(call.caller(), call.segment(2), call.base()));
    } else if (call.matches("v1", "repositories", RepositoryService.FORMAT, "*", "*")
        && RepositoryService.TYPES.contains(call.segment(3))) {
      call.allow("GET");
      RepositorySettings s = repositories.settings(call.caller(), call.segment(4), call.base());
      if (!s.type().equals(call.segment(3))) {
        throw new ManagementException(ManagementException.Reason.NOT_FOUND,
            "repository " + call.segment(4) + " is a " + s.type() + " repository, not " + call.segment(3));
      }
      call.send(s);
    } else {
      return false;
    }
    return true;
  }
}
