package io.wharf.server.admin;

import io.wharf.core.repository.Repository;
import io.wharf.server.sync.ReplicationService;
import java.io.IOException;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * The push rules of a repository ({@code repositories[].replication}, see {@code docs/sync.md}), in
 * Wharf's API, shaped as the pull rules' ({@link SyncEndpoints}):
 * <pre>
 * GET  /v1/repositories/{repo}/replication              every rule with its last reconcile and its copies on push (read)
 * GET  /v1/repositories/{repo}/replication/{rule}       one rule (read)
 * POST /v1/repositories/{repo}/replication/{rule}/run   start a reconcile now (repository admin); 202
 * </pre>
 */
final class ReplicationEndpoints implements RestEndpoints {
  private final ReplicationService replication;
  private final RepositoryService repositories;
  private final Permissions permissions;

  ReplicationEndpoints(ReplicationService replication, RepositoryService repositories, Permissions permissions) {
    this.replication = Objects.requireNonNull(replication);
    this.repositories = Objects.requireNonNull(repositories);
    this.permissions = Objects.requireNonNull(permissions);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    try {
      if (call.matches("v1", "repositories", "*", "replication")) {
        call.allow("GET");
        Repository repo = repositories.readable(call.caller(), call.segment(2));
        call.send(Map.of("repository", repo.name(), "rules", replication.rules(repo.name())));
        return true;
      }
      if (call.matches("v1", "repositories", "*", "replication", "*")) {
        call.allow("GET");
        Repository repo = repositories.readable(call.caller(), call.segment(2));
        call.send(replication.rule(repo.name(), call.segment(4)));
        return true;
      }
      if (call.matches("v1", "repositories", "*", "replication", "*", "run")) {
        call.allow("POST");
        Repository repo = repositories.readable(call.caller(), call.segment(2));
        permissions.requireRepositoryAdmin(call.caller(), repo, "run a replication rule");
        call.send(202, replication.run(repo.name(), call.segment(4)));
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
