package io.wharf.server.admin;

import io.wharf.server.config.ConfigException;
import io.wharf.server.config.ReplicationConfig;
import io.wharf.server.config.SyncConfig;
import io.wharf.server.config.WharfConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The rules of one kind (pull rules, push rules) a repository gets through the management API:
 * the one place for "a settings document of rules, the file's pinned, the API's merged". The
 * config file's rules of a repository are pinned (the API cannot create one of their names, change
 * or delete them); the API's are kept in the {@link SettingsStore} under the kind's subject as
 * {@code {"version":1,"rules":[{"repository":...,"rule":{...}}]}}, each in the file's entry shape;
 * a name in both: the file wins, the API's is left out with a warning. A rule is validated as the
 * file's are ({@link Kind#validator}), against the configuration the owner gives.
 *
 * <p>Not thread-safe: its owner ({@link RuleSettingsService}) calls it under its own lock, and tells
 * the listeners after a change.
 *
 * @param <R> the rule type, the record the config file reads the kind's entries into
 */
final class ApiRules<R> {
  private static final Logger LOG = LoggerFactory.getLogger(ApiRules.class);
  /** The key a rule's validation messages start with, e.g. {@code rule (nightly).target.url: ...}. */
  private static final String RULE_KEY = "rule";

  /**
   * A rule created through the API, and the repository it belongs to: an entry of the document.
   *
   * @param repository the repository's name
   * @param rule the rule, in the file's entry shape
   * @param <R> the rule type
   */
  record ApiRule<R>(String repository, R rule) {}

  /** Checks a rule as the file's are checked. */
  @FunctionalInterface
  interface Validator<R> {
    /**
     * Checks {@code rule} of {@code repository} within {@code c}.
     *
     * @param c the configuration the rule joins (the file's, with the API's credentials)
     * @param repository the repository the rule belongs to
     * @param rule the rule
     * @param taken the names of the repository's other rules of this kind
     * @param key names the rule in messages
     * @throws ConfigException naming the key
     */
    void validate(WharfConfig c, String repository, R rule, Set<String> taken, String key);
  }

  /**
   * What differs between the kinds of rules.
   *
   * @param label the rules in messages: {@code sync} or {@code replication} ({@code sync rule x})
   * @param subject the settings subject of the document, e.g. {@code sync-rules}
   * @param type the rule type
   * @param shape what a request body must be, e.g. {@code an entry of repositories[].sync}
   * @param name a rule's name
   * @param renamed a rule with another name
   * @param of a repository's rules of this kind in a configuration (never null)
   * @param with a repository with other rules of this kind
   * @param validator the file's validation of one rule
   * @param <R> the rule type
   */
  record Kind<R>(String label, String subject, Class<R> type, String shape, Function<R, String> name,
      BiFunction<R, String, R> renamed, Function<WharfConfig.Repository, List<R>> of,
      BiFunction<WharfConfig.Repository, List<R>, WharfConfig.Repository> with, Validator<R> validator) {}

  /** Pull rules, {@code repositories[].sync[]}. */
  static final Kind<SyncConfig.Rule> PULL = new Kind<>("sync", "sync-rules", SyncConfig.Rule.class,
      "an entry of repositories[].sync", SyncConfig.Rule::name, SyncConfig.Rule::withName,
      WharfConfig.Repository::pullRules, WharfConfig.Repository::withSync, SyncConfig::validateRule);

  /** Push rules, {@code repositories[].replication[]}. */
  static final Kind<ReplicationConfig.Rule> PUSH = new Kind<>("replication", "replication-rules",
      ReplicationConfig.Rule.class, "an entry of repositories[].replication", ReplicationConfig.Rule::name,
      ReplicationConfig.Rule::withName, WharfConfig.Repository::pushRules,
      WharfConfig.Repository::withReplication, ReplicationConfig::validateRule);

  private final Kind<R> kind;
  private final SettingsDocument<ApiRule<R>> document;
  private final Supplier<WharfConfig> file;
  private final Supplier<WharfConfig> checkedAgainst;
  /** The API's rules in effect; replaced whole. */
  private List<ApiRule<R>> rules = List.of();

  /**
   * The API's rules of one kind.
   *
   * @param kind the kind
   * @param settings where the document is kept
   * @param file the configuration without the API's rules (the file's, with the repositories as
   *     they run now): its rules are pinned
   * @param checkedAgainst the configuration a rule is validated against: the file's with the API's
   *     credentials
   */
  ApiRules(Kind<R> kind, SettingsStore settings, Supplier<WharfConfig> file, Supplier<WharfConfig> checkedAgainst) {
    this.kind = kind;
    this.document = new SettingsDocument<>(settings, kind.subject(), "rules",
        SettingsDocument.type(ApiRule.class, kind.type()), "the " + kind.label() + " rules");
    this.file = file;
    this.checkedAgainst = checkedAgainst;
  }

  /**
   * {@code config} with the API's rules after each repository's own.
   *
   * @param config the configuration
   * @return the configuration with the rules added, {@code config} itself if there are none
   */
  WharfConfig combine(WharfConfig config) {
    if (rules.isEmpty()) {
      return config;
    }
    List<WharfConfig.Repository> repos = new ArrayList<>();
    for (WharfConfig.Repository repo : config.repositories()) {
      List<R> added = rules.stream().filter(a -> a.repository().equals(repo.name())).map(ApiRule::rule).toList();
      if (added.isEmpty()) {
        repos.add(repo);
      } else {
        List<R> all = new ArrayList<>(kind.of().apply(repo));
        all.addAll(added);
        repos.add(kind.with().apply(repo, all));
      }
    }
    return config.withRepositories(repos);
  }

  /**
   * Whether rule {@code rule} of {@code repository} was created through the API.
   *
   * @param repository the repository
   * @param rule the rule's name
   * @return true if the API created it (and it is in effect), false if the file declares it or
   *     there is none
   */
  boolean createdThroughApi(String repository, String rule) {
    return find(repository, rule).isPresent();
  }

  /**
   * Reads the document if it changed and puts what it holds in effect; an entry the file also
   * declares, or that no longer validates, is left out with a warning.
   *
   * @return whether the rules in effect were replaced
   * @throws ConfigException if the document cannot be read
   */
  boolean load() {
    Optional<List<ApiRule<R>>> read = document.readIfChanged();
    if (read.isEmpty()) {
      return false;
    }
    WharfConfig base = file.get();
    List<ApiRule<R>> next = new ArrayList<>();
    for (ApiRule<R> a : read.get()) {
      String name = a.rule() == null ? null : kind.name().apply(a.rule());
      if (a.repository() == null || name == null) {
        LOG.warn("a {} rule created through the management API without a repository or a name is left out",
            kind.label());
        continue;
      }
      if (fileRule(base, a.repository(), name)) {
        LOG.warn("{} rule {}/{} is declared in the configuration file and was also created through the management"
            + " API; the file's declaration is used and the API's is left out", kind.label(), a.repository(), name);
        continue;
      }
      try {
        validate(a.repository(), a.rule(), next);
        next.add(a);
      } catch (ConfigException bad) {
        LOG.warn("{} rule {}/{} (created through the management API) is left out: {}", kind.label(), a.repository(),
            name, bad.getMessage());
      }
    }
    rules = List.copyOf(next);
    return true;
  }

  /**
   * Creates a rule of {@code repository} from {@code body} (the file's entry shape): validated and
   * recorded. The caller has loaded the document.
   *
   * @param repository the repository
   * @param body the request body
   * @return the rule created
   * @throws ManagementException 400 naming the field, 409 if the repository has a rule of that name
   */
  R create(String repository, JsonNode body) {
    R rule = parse(body, null);
    String name = kind.name().apply(rule);
    if (name != null && (fileRule(file.get(), repository, name) || find(repository, name).isPresent())) {
      throw new ManagementException(ManagementException.Reason.CONFLICT, "repository " + repository + " has a "
          + kind.label() + " rule named " + name + (fileRule(file.get(), repository, name)
          ? " in the configuration file, which the API does not change" : " already"));
    }
    check(repository, rule, rules);
    List<ApiRule<R>> next = new ArrayList<>(rules);
    next.add(new ApiRule<>(repository, rule));
    write(next);
    return rule;
  }

  /**
   * Replaces rule {@code name} of {@code repository} (created through the API) with {@code body};
   * a body without {@code name} keeps it.
   *
   * @param repository the repository
   * @param name the rule's name, from the path
   * @param body the request body
   * @return the rule as it is now
   * @throws ManagementException 404, 409 if the file declares it, 400 naming the field
   */
  R update(String repository, String name, JsonNode body) {
    R rule = parse(body, name);
    pinned(repository, name, "change it there");
    known(repository, name);
    List<ApiRule<R>> others = rules.stream().filter(a -> !is(a, repository, name)).toList();
    check(repository, rule, others);
    List<ApiRule<R>> next = new ArrayList<>();
    for (ApiRule<R> a : rules) {
      next.add(is(a, repository, name) ? new ApiRule<>(repository, rule) : a);
    }
    write(next);
    return rule;
  }

  /**
   * Deletes rule {@code name} of {@code repository} (created through the API).
   *
   * @param repository the repository
   * @param name the rule's name
   * @throws ManagementException 404, 409 if the file declares it
   */
  void delete(String repository, String name) {
    pinned(repository, name, "remove it there");
    known(repository, name);
    write(rules.stream().filter(a -> !is(a, repository, name)).toList());
  }

  private void pinned(String repository, String name, String instead) {
    if (fileRule(file.get(), repository, name)) {
      throw new ManagementException(ManagementException.Reason.CONFLICT, kind.label() + " rule " + name
          + " of repository " + repository + " is declared in the configuration file, which the API does not change; "
          + instead + " (then restart)");
    }
  }

  private void known(String repository, String name) {
    if (find(repository, name).isEmpty()) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "repository " + repository + " has no "
          + kind.label() + " rule named " + name);
    }
  }

  private void write(List<ApiRule<R>> next) {
    document.write(next);
    rules = List.copyOf(next);
  }

  private R parse(JsonNode body, String pathName) {
    R rule = SettingsDocument.parse(body, kind.type(), kind.shape());
    if (pathName != null) {
      String named = kind.name().apply(rule);
      if (named != null && !named.equals(pathName)) {
        throw ManagementException.invalid("name", "the body names " + named + ", the path " + pathName
            + "; a rule cannot be renamed (delete it and create the new one)");
      }
      rule = kind.renamed().apply(rule, pathName);
    }
    return rule;
  }

  /** The file's validation of a rule beside {@code others} (the API's): 400 naming the field. */
  private void check(String repository, R rule, List<ApiRule<R>> others) {
    try {
      validate(repository, rule, others);
    } catch (ConfigException bad) {
      throw SettingsDocument.invalid(bad, RULE_KEY);
    }
  }

  private void validate(String repository, R rule, List<ApiRule<R>> others) {
    WharfConfig c = checkedAgainst.get();
    Set<String> taken = new LinkedHashSet<>();
    c.repositories().stream().filter(r -> r.name().equals(repository)).findFirst()
        .ifPresent(r -> kind.of().apply(r).forEach(x -> taken.add(kind.name().apply(x))));
    others.stream().filter(a -> a.repository().equals(repository)).forEach(a -> taken.add(kind.name().apply(a.rule())));
    kind.validator().validate(c, repository, rule, taken, RULE_KEY);
  }

  private boolean fileRule(WharfConfig base, String repository, String rule) {
    return base.repositories().stream().filter(r -> r.name().equals(repository))
        .anyMatch(r -> kind.of().apply(r).stream().anyMatch(x -> rule.equals(kind.name().apply(x))));
  }

  private Optional<ApiRule<R>> find(String repository, String rule) {
    return rules.stream().filter(a -> is(a, repository, rule)).findFirst();
  }

  private boolean is(ApiRule<R> a, String repository, String rule) {
    return a.repository().equals(repository) && rule.equals(kind.name().apply(a.rule()));
  }
}
