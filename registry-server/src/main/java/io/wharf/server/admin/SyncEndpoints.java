package io.wharf.server.admin;

import io.wharf.core.repository.Repository;
import io.wharf.server.auth.Action;
import io.wharf.server.sync.SyncService;
import java.io.IOException;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * The pull rules of a repository ({@code repositories[].sync}, see {@code docs/sync.md}), in
 * Wharf's API:
 * <pre>
 * GET  /v1/repositories/{repo}/sync               every rule with its last (or current) run's report (read)
 * GET  /v1/repositories/{repo}/sync/{rule}        one rule (read)
 * POST /v1/repositories/{repo}/sync/{rule}/run    start a run now (repository admin); 202, or the run going on
 * </pre>
 */
final class SyncEndpoints implements RestEndpoints {
  private final SyncService sync;
  private final RepositoryService repositories;
  private final Permissions permissions;

  SyncEndpoints(SyncService sync, RepositoryService repositories, Permissions permissions) {
    this.sync = Objects.requireNonNull(sync);
    this.repositories = Objects.requireNonNull(repositories);
    this.permissions = Objects.requireNonNull(permissions);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    try {
      if (call.matches("v1", "repositories", "*", "sync")) {
        call.allow("GET");
        Repository repo = repositories.readable(call.caller(), call.segment(2));
        call.send(Map.of("repository", repo.name(), "rules", sync.rules(repo.name())));
        return true;
      }
      if (call.matches("v1", "repositories", "*", "sync", "*")) {
        call.allow("GET");
        Repository repo = repositories.readable(call.caller(), call.segment(2));
        call.send(sync.rule(repo.name(), call.segment(4)));
        return true;
      }
      if (call.matches("v1", "repositories", "*", "sync", "*", "run")) {
        call.allow("POST");
        Repository repo = repositories.readable(call.caller(), call.segment(2));
        if (!permissions.may(call.caller(), repo, Action.ADMIN)) {
          throw call.caller().isAnonymous()
              ? new ManagementException(ManagementException.Reason.UNAUTHENTICATED,
                  "authentication required to run a sync rule")
              : new ManagementException(ManagementException.Reason.FORBIDDEN,
                  "user " + call.caller().user() + " may not administer repository " + repo.name());
        }
        call.send(202, sync.run(repo.name(), call.segment(4)));
        return true;
      }
    } catch (NoSuchElementException e) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, e.getMessage());
    } catch (IllegalStateException e) {
      throw new ManagementException(ManagementException.Reason.CONFLICT, e.getMessage());
    }
    return false;
  }
}
