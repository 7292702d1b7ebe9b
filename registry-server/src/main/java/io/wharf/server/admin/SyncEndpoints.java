package io.wharf.server.admin;

import io.wharf.core.repository.Repository;
import io.wharf.server.auth.Action;
import io.wharf.server.sync.SyncService;
import io.wharf.server.config.SyncConfig;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The pull rules of a repository ({@code repositories[].sync}, see {@code docs/sync.md}), in
 * Wharf's API:
 * <pre>
 * GET    /v1/repositories/{repo}/sync             every rule with its last (or current) run's report (read)
 * POST   /v1/repositories/{repo}/sync             create a rule (the config file's rule shape; administrators): 201
 * GET    /v1/repositories/{repo}/sync/{rule}      one rule (read)
 * PUT    /v1/repositories/{repo}/sync/{rule}      change a rule the API created (administrators): 200
 * DELETE /v1/repositories/{repo}/sync/{rule}      delete a rule the API created (administrators): 204
 * POST   /v1/repositories/{repo}/sync/{rule}/run  start a run now (repository admin); 202, or the run going on
 * GET    /v1/credentials                          the outbound credentials, never a password (administrators)
 * POST   /v1/credentials                          create: {name, username, password | passwordFile}: 201
 * GET    /v1/credentials/{name}                   one
 * PUT    /v1/credentials/{name}                   change credentials the API created (no password: kept)
 * DELETE /v1/credentials/{name}                   delete credentials the API created, unless a rule uses them: 204
 * </pre>
 * Each rule shows {@code origin}: {@code file} (pinned: the API does not change it) or {@code api}.
 * See {@link SyncRuleService}.
 */
final class SyncEndpoints implements RestEndpoints {
  private final SyncService sync;
  private final RepositoryService repositories;
  private final Permissions permissions;
  private final SyncRuleService rules;
  private final Consumer<Caller> requireAdmin;

  /** @param requireAdmin refuses a caller who is not a server administrator */
  SyncEndpoints(SyncService sync, RepositoryService repositories, Permissions permissions, SyncRuleService rules,
      Consumer<Caller> requireAdmin) {
    this.sync = Objects.requireNonNull(sync);
    this.repositories = Objects.requireNonNull(repositories);
    this.permissions = Objects.requireNonNull(permissions);
    this.rules = Objects.requireNonNull(rules);
    this.requireAdmin = Objects.requireNonNull(requireAdmin);
  }

  private Map<String, Object> shown(SyncService.RuleStatus status) {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = RestCall.JSON.convertValue(status, LinkedHashMap.class);
    m.put("origin", rules.createdThroughApi(status.repository(), status.rule()) ? "api" : "file");
    return m;
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    try {
      if (call.matches("v1", "credentials")) {
        call.allow("GET", "POST");
        requireAdmin.accept(call.caller());
        if (call.method().equals("POST")) {
          SyncRuleService.CredentialView created = rules.createCredential(call.json());
          call.header("Location", call.base() + "/wharf/api/v1/credentials/" + created.name());
          call.send(201, created);
        } else {
          call.send(rules.credentials());
        }
        return true;
      }
      if (call.matches("v1", "credentials", "*")) {
        call.allow("GET", "PUT", "DELETE");
        requireAdmin.accept(call.caller());
        switch (call.method()) {
          case "PUT" -> call.send(rules.updateCredential(call.segment(2), call.json()));
          case "DELETE" -> {
            rules.deleteCredential(call.segment(2));
            call.status(204);
          }
          default -> call.send(rules.credential(call.segment(2)));
        }
        return true;
      }
      if (call.matches("v1", "repositories", "*", "sync")) {
        call.allow("GET", "POST");
        Repository repo = repositories.readable(call.caller(), call.segment(2));
        if (call.method().equals("POST")) {
          requireAdmin.accept(call.caller());
          SyncConfig.Rule created = rules.createRule(repo.name(), call.json());
          call.header("Location", call.base() + "/wharf/api/v1/repositories/" + repo.name() + "/sync/" + created.name());
          call.send(201, shown(sync.rule(repo.name(), created.name())));
          return true;
        }
        rules.sync(); // another node may have changed the API's rules
        call.send(Map.of("repository", repo.name(), "rules", sync.rules(repo.name()).stream().map(this::shown)
            .toList()));
        return true;
      }
      if (call.matches("v1", "repositories", "*", "sync", "*")) {
        call.allow("GET", "PUT", "DELETE");
        Repository repo = repositories.readable(call.caller(), call.segment(2));
        switch (call.method()) {
          case "PUT" -> {
            requireAdmin.accept(call.caller());
            rules.updateRule(repo.name(), call.segment(4), call.json());
            call.send(shown(sync.rule(repo.name(), call.segment(4))));
          }
          case "DELETE" -> {
            requireAdmin.accept(call.caller());
            rules.deleteRule(repo.name(), call.segment(4));
            call.status(204);
          }
          default -> {
            rules.sync();
            call.send(shown(sync.rule(repo.name(), call.segment(4))));
          }
        }
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
