package io.wharf.server.admin;

import io.wharf.core.repository.Repository;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The routes of one kind of a repository's rules (pull rules under {@code sync}, push rules under
 * {@code replication}), in Wharf's API; the one place their paths, permissions and error mapping
 * are decided:
 * <pre>
 * GET    /v1/repositories/{repo}/{kind}             every rule with its last (or current) run (read)
 * POST   /v1/repositories/{repo}/{kind}             create a rule (the config file's rule shape; administrators): 201
 * GET    /v1/repositories/{repo}/{kind}/{rule}      one rule (read)
 * PUT    /v1/repositories/{repo}/{kind}/{rule}      change a rule the API created (administrators): 200
 * DELETE /v1/repositories/{repo}/{kind}/{rule}      delete a rule the API created (administrators): 204
 * POST   /v1/repositories/{repo}/{kind}/{rule}/run  start a run now (repository admin); 202, or the run going on
 * </pre>
 * Each rule shows {@code origin}: {@code file} (pinned: the API does not change it) or {@code api}.
 * An unknown repository or rule is a {@code 404}, a rule that cannot run there a {@code 409}.
 *
 * @param <S> the status a rule is shown as, a record with the components {@code repository} and
 *     {@code rule}
 */
final class RuleEndpoints<S> implements RestEndpoints {

  /**
   * The rules of a repository with their last runs, e.g. {@code SyncService::rules}.
   *
   * @param <S> the status a rule is shown as
   */
  @FunctionalInterface
  interface Listing<S> {
    /**
     * The rules of {@code repository}.
     *
     * @param repository the repository
     * @return each rule's status
     * @throws IOException if a stored report cannot be read
     * @throws NoSuchElementException if there is no such repository
     */
    List<S> rules(String repository) throws IOException;
  }

  /**
   * One rule's status, or a run of it started, e.g. {@code SyncService::rule} and {@code SyncService::run}.
   *
   * @param <S> the status a rule is shown as
   */
  @FunctionalInterface
  interface OneRule<S> {
    /**
     * The status of rule {@code rule} of {@code repository} (after starting a run, for a run).
     *
     * @param repository the repository
     * @param rule the rule's name
     * @return its status
     * @throws IOException if a stored report cannot be read
     * @throws NoSuchElementException naming what is unknown
     * @throws IllegalStateException if the rule cannot run there
     */
    S apply(String repository, String rule) throws IOException;
  }

  private final ApiRules.Kind<?> kind;
  private final Listing<S> list;
  private final OneRule<S> one;
  private final OneRule<S> run;
  private final RepositoryService repositories;
  private final Permissions permissions;
  private final RuleSettingsService rules;
  private final Consumer<Caller> requireAdmin;

  /**
   * The routes of {@code kind}.
   *
   * @param kind {@link ApiRules#PULL} or {@link ApiRules#PUSH}; its label is the path segment
   * @param list a repository's rules of the kind
   * @param one one rule
   * @param run starts a run of one rule
   * @param repositories resolves the repository a caller may read
   * @param permissions decides who may start a run
   * @param rules the rules created through the API
   * @param requireAdmin refuses a caller who is not a server administrator
   */
  RuleEndpoints(ApiRules.Kind<?> kind, Listing<S> list, OneRule<S> one, OneRule<S> run,
      RepositoryService repositories, Permissions permissions, RuleSettingsService rules, Consumer<Caller> requireAdmin) {
    this.kind = Objects.requireNonNull(kind);
    this.list = Objects.requireNonNull(list);
    this.one = Objects.requireNonNull(one);
    this.run = Objects.requireNonNull(run);
    this.repositories = Objects.requireNonNull(repositories);
    this.permissions = Objects.requireNonNull(permissions);
    this.rules = Objects.requireNonNull(rules);
    this.requireAdmin = Objects.requireNonNull(requireAdmin);
  }

  private Map<String, Object> shown(S status) {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = RestCall.JSON.convertValue(status, LinkedHashMap.class);
    m.put("origin", rules.createdThroughApi(kind, String.valueOf(m.get("repository")), String.valueOf(m.get("rule")))
        ? "api" : "file");
    return m;
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    String segment = kind.label();
    try {
      if (call.matches("v1", "repositories", "*", segment)) {
        call.allow("GET", "POST");
        Repository repo = repositories.readable(call.caller(), call.segment(2));
        if (call.method().equals("POST")) {
          requireAdmin.accept(call.caller());
          String created = create(kind, repo.name(), call.json());
          call.header("Location", call.base() + "/wharf/api/v1/repositories/" + repo.name() + "/" + segment + "/"
              + created);
          call.send(201, shown(one.apply(repo.name(), created)));
          return true;
        }
        rules.sync(); // another node may have changed the API's rules
        call.send(Map.of("repository", repo.name(), "rules", list.rules(repo.name()).stream().map(this::shown)
            .toList()));
        return true;
      }
      if (call.matches("v1", "repositories", "*", segment, "*")) {
        call.allow("GET", "PUT", "DELETE");
        Repository repo = repositories.readable(call.caller(), call.segment(2));
        String rule = call.segment(4);
        switch (call.method()) {
          case "PUT" -> {
            requireAdmin.accept(call.caller());
            rules.updateRule(kind, repo.name(), rule, call.json());
            call.send(shown(one.apply(repo.name(), rule)));
          }
          case "DELETE" -> {
            requireAdmin.accept(call.caller());
            rules.deleteRule(kind, repo.name(), rule);
            call.status(204);
          }
          default -> {
            rules.sync();
            call.send(shown(one.apply(repo.name(), rule)));
          }
        }
        return true;
      }
      if (call.matches("v1", "repositories", "*", segment, "*", "run")) {
        call.allow("POST");
        Repository repo = repositories.readable(call.caller(), call.segment(2));
        permissions.requireRepositoryAdmin(call.caller(), repo, "run a " + segment + " rule");
        call.send(202, run.apply(repo.name(), call.segment(4)));
        return true;
      }
    } catch (NoSuchElementException e) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, e.getMessage());
    } catch (IllegalStateException e) {
      throw new ManagementException(ManagementException.Reason.CONFLICT, e.getMessage());
    }
    return false;
  }

  /** Creates a rule of {@code k} and answers its name. */
  private <R> String create(ApiRules.Kind<R> k, String repository, tools.jackson.databind.JsonNode body) {
    return k.name().apply(rules.createRule(k, repository, body));
  }
}
