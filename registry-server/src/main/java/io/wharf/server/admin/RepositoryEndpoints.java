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
 * POST /v1/repositories/docker/{type}          create one (global admin): 201
 * PUT /v1/repositories/docker/{type}/{name}    change one the API created (admin on it): 204
 * DELETE /v1/repositories/{name}               delete one the API created (admin on it): 204
 * </pre>
 * Changes take effect at once (see {@link RepositoryService#create}).
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
      call.allow("GET", "DELETE");
      if (call.method().equals("DELETE")) {
        repositories.delete(call.caller(), call.segment(2));
        call.status(204);
      } else {
        call.send(repositories.get(call.caller(), call.segment(2), call.base()));
      }
    } else if (call.matches("v1", "repositories", "*", "*")) {
      call.allow("POST");
      String type = type(call, 2);
      repositories.create(call.caller(), type, call.json());
      call.status(201);
    } else if (call.matches("v1", "repositories", "*", "*", "*")) {
      call.allow("GET", "PUT");
      String type = type(call, 2);
      String name = call.segment(4);
      if (call.method().equals("PUT")) {
        repositories.update(call.caller(), type, name, call.json());
        call.status(204);
        return true;
      }
      RepositorySettings s = repositories.settings(call.caller(), name, call.base());
      if (!s.type().equals(type)) {
        throw new ManagementException(ManagementException.Reason.NOT_FOUND,
            "repository " + name + " is a " + s.type() + " repository, not " + type);
      }
      call.send(s);
    } else {
      return false;
    }
    return true;
  }

  /** The repository type in {@code /v1/repositories/{format}/{type}}: 404 unless docker and a known type. */
  private static String type(RestCall call, int formatSegment) {
    String format = call.segment(formatSegment);
    String type = call.segment(formatSegment + 1);
    if (!format.equals(RepositoryService.FORMAT)) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no " + format + " repositories here:"
          + " Wharf holds docker repositories only");
    }
    if (!RepositoryService.TYPES.contains(type)) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no repository type " + type
          + "; known: hosted, proxy, group");
    }
    return type;
  }
}
