package io.wharf.server.admin;

import java.io.IOException;
import java.util.Objects;

/**
 * Wharf's own repository endpoints:
 * <pre>
 * POST /v1/repositories/reload   re-read the repositories the API created (global admin)
 * </pre>
 * A node of a multi-node setup calls it to pick up what another node changed through the API
 * (the document is in the shared blob store); a node otherwise reads it at start.
 */
final class WharfRepositoryEndpoints implements RestEndpoints {
  private final RepositoryService repositories;

  WharfRepositoryEndpoints(RepositoryService repositories) {
    this.repositories = Objects.requireNonNull(repositories);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    if (call.matches("v1", "repositories", "reload")) {
      call.allow("POST");
      call.send(repositories.reload(call.caller()));
      return true;
    }
    return false;
  }
}
