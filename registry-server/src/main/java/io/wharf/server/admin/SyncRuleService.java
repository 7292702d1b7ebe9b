package io.wharf.server.admin;

import io.wharf.server.config.ConfigException;
import io.wharf.server.config.SyncConfig;
import io.wharf.server.config.WharfConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Pull rules and the outbound credentials they use, created, changed and deleted through the
 * management API, with the same precedence as webhook endpoints ({@link EventEndpointService}):
 *
 * <ul>
 *   <li>the config file's rules ({@code repositories[].sync}) and credentials ({@code credentials},
 *       {@code security.credentials}) are pinned: the API cannot create one of their names, change
 *       or delete them;
 *   <li>the API's are kept in the {@link SettingsStore}, rules under subject {@value #RULES} as
 *       {@code {"version":1,"rules":[{"repository":...,"rule":{...}}]}} and credentials under
 *       {@value #CREDENTIALS} as {@code {"version":1,"credentials":[...]}}, each in the file's
 *       entry shape (a password included: it is sent to the source, so it cannot be kept hashed);
 *   <li>a name in both: the file wins, the API's entry is left out with a warning.
 * </ul>
 *
 * A change is validated as the file's entries are (against the file's and the API's repositories,
 * rules and credentials), written, and then in effect: {@link #effective} adds the API's rules and
 * credentials to the configuration the {@link io.wharf.server.sync.SyncService} reads, and
 * the listeners ({@link #onChange}: its {@code reschedule}) makes the schedules follow. Every node reads the
 * documents again before each change and each read of the sync API, and on its own every
 * {@link SettingsDocument#SYNC_INTERVAL}. A password is never shown, logged or put in an answer.
 */
final class SyncRuleService extends AbstractLifeCycle {
  private static final Logger LOG = LoggerFactory.getLogger(SyncRuleService.class);
  /** The settings subject of the rules. */
  public static final String RULES = "sync-rules";
  /** The settings subject of the credentials. */
  public static final String CREDENTIALS = "sync-credentials";
  private static final String RULE_KEY = "rule";
  private static final String CREDENTIAL_KEY = "credential";

  /** A rule created through the API, and the repository it belongs to. */
  public record ApiRule(String repository, SyncConfig.Rule rule) {}

  /** A credential as the API shows it: never its password. */
  public record CredentialView(String name, String username, String source, List<String> usedBy) {}

  private final Supplier<WharfConfig> file;
  private final List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final SettingsDocument<ApiRule> rulesDocument;
  private final SettingsDocument<SyncConfig.Credential> credentialsDocument;
  /** The API's rules and credentials in effect; replaced whole, guarded by {@code this}. */
  private List<ApiRule> rules = List.of();
  private Map<String, SyncConfig.Credential> credentials = Map.of();
  private ScheduledExecutorService poller;

  /**
   * @param file the configuration without the API's rules and credentials (the file's, with the
   *     repositories as they run now)
   */
  public SyncRuleService(SettingsStore settings, Supplier<WharfConfig> file) {
    this.file = file;
    this.rulesDocument = new SettingsDocument<>(settings, RULES, "rules", ApiRule.class, "the sync rules");
    this.credentialsDocument = new SettingsDocument<>(settings, CREDENTIALS, "credentials",
        SyncConfig.Credential.class, "the sync credentials");
  }

  /** {@code config} with the API's rules after each repository's own and the API's credentials after the file's. */
  public WharfConfig effective(WharfConfig config) {
    List<ApiRule> r;
    Map<String, SyncConfig.Credential> c;
    synchronized (this) {
      r = rules;
      c = credentials;
    }
    return combine(config, r, c);
  }

  private static WharfConfig combine(WharfConfig config, List<ApiRule> r, Map<String, SyncConfig.Credential> c) {
    if (r.isEmpty() && c.isEmpty()) {
      return config;
    }
    List<WharfConfig.Repository> repos = new ArrayList<>();
    for (WharfConfig.Repository repo : config.repositories()) {
      List<SyncConfig.Rule> added = r.stream().filter(a -> a.repository().equals(repo.name())).map(ApiRule::rule)
          .toList();
      if (added.isEmpty()) {
        repos.add(repo);
      } else {
        List<SyncConfig.Rule> all = new ArrayList<>(repo.sync() == null ? List.of() : repo.sync());
        all.addAll(added);
        repos.add(repo.withSync(all));
      }
    }
    List<SyncConfig.Credential> creds = new ArrayList<>(config.credentials() == null ? List.of()
        : config.credentials());
    creds.addAll(c.values());
    return config.withRepositories(repos).withCredentials(creds);
  }

  /** Calls {@code changed} (outside this service's lock) after the rules or credentials in effect changed. */
  public void onChange(Runnable changed) {
    listeners.add(changed);
  }

  private void changed() {
    listeners.forEach(Runnable::run);
  }

  /** Whether rule {@code rule} of {@code repository} was created through the API (not declared in the file). */
  public synchronized boolean createdThroughApi(String repository, String rule) {
    return find(rules, repository, rule).isPresent();
  }

  /**
   * Reads the documents and puts what they hold in effect: rules and credentials added, changed
   * or removed by another node (or before a restart) take effect here.
   *
   * @throws ConfigException if a document cannot be read
   */
  public void sync() {
    boolean applied;
    synchronized (this) {
      applied = load();
    }
    if (applied) {
      changed();
    }
  }

  /** Reads both documents; whether what is in effect changed. */
  private boolean load() {
    WharfConfig base = file.get();
    Optional<List<SyncConfig.Credential>> creds = credentialsDocument.readIfChanged();
    Optional<List<ApiRule>> rs = rulesDocument.readIfChanged();
    if (creds.isEmpty() && rs.isEmpty()) {
      return false;
    }
    if (creds.isPresent()) {
      Set<String> pinned = SyncConfig.credentials(base).keySet();
      Map<String, SyncConfig.Credential> next = new LinkedHashMap<>();
      for (SyncConfig.Credential c : creds.get()) {
        if (c.name() != null && pinned.contains(c.name())) {
          LOG.warn("sync credential {} is declared in the configuration file and was also created through the"
              + " management API; the file's declaration is used and the API's is left out", c.name());
          continue;
        }
        try {
          checkCredential(c);
          next.put(c.name(), c);
        } catch (ConfigException bad) {
          LOG.warn("sync credential {} (created through the management API) is left out: {}", c.name(),
              bad.getMessage());
        }
      }
      credentials = java.util.Collections.unmodifiableMap(next);
    }
    if (rs.isPresent()) {
      List<ApiRule> next = new ArrayList<>();
      for (ApiRule a : rs.get()) {
        String name = a.rule() == null ? null : a.rule().name();
        if (a.repository() == null || name == null) {
          LOG.warn("a sync rule created through the management API without a repository or a name is left out");
          continue;
        }
        if (fileRule(base, a.repository(), name)) {
          LOG.warn("sync rule {}/{} is declared in the configuration file and was also created through the"
              + " management API; the file's declaration is used and the API's is left out", a.repository(), name);
          continue;
        }
        try {
          checkRule(a.repository(), a.rule(), next);
          next.add(a);
        } catch (ConfigException bad) {
          LOG.warn("sync rule {}/{} (created through the management API) is left out: {}", a.repository(), name,
              bad.getMessage());
        }
      }
      rules = List.copyOf(next);
    }
    return true;
  }

  // ---------------------------------------------------------------- rules

  /**
   * Creates a rule of {@code repository} from {@code body} (the config file's rule shape):
   * validated, recorded, scheduled.
   *
   * @throws ManagementException 400 naming the field, 409 if the repository has a rule of that name
   */
  public SyncConfig.Rule createRule(String repository, JsonNode body) {
    SyncConfig.Rule rule = parseRule(body, null);
    synchronized (this) {
      load();
      if (rule.name() != null && (fileRule(file.get(), repository, rule.name())
          || find(rules, repository, rule.name()).isPresent())) {
        throw new ManagementException(ManagementException.Reason.CONFLICT, "repository " + repository
            + " has a sync rule named " + rule.name() + (fileRule(file.get(), repository, rule.name())
            ? " in the configuration file, which the API does not change" : " already"));
      }
      check(repository, rule, rules);
      List<ApiRule> next = new ArrayList<>(rules);
      next.add(new ApiRule(repository, rule));
      rulesDocument.write(next);
      rules = List.copyOf(next);
    }
    changed();
    return rule;
  }

  /**
   * Replaces rule {@code name} of {@code repository} (created through the API) with {@code body};
   * a body without {@code name} keeps it. A run going on finishes as it started; the next uses this.
   *
   * @throws ManagementException 404, 409 if the file declares it, 400 naming the field
   */
  public SyncConfig.Rule updateRule(String repository, String name, JsonNode body) {
    SyncConfig.Rule rule = parseRule(body, name);
    synchronized (this) {
      if (fileRule(file.get(), repository, name)) {
        throw new ManagementException(ManagementException.Reason.CONFLICT, "sync rule " + name + " of repository "
            + repository + " is declared in the configuration file, which the API does not change; change it there"
            + " (then restart)");
      }
      load();
      if (find(rules, repository, name).isEmpty()) {
        throw new ManagementException(ManagementException.Reason.NOT_FOUND, "repository " + repository
            + " has no sync rule named " + name);
      }
      List<ApiRule> others = rules.stream().filter(a -> !(a.repository().equals(repository)
          && a.rule().name().equals(name))).toList();
      check(repository, rule, others);
      List<ApiRule> next = new ArrayList<>();
      for (ApiRule a : rules) {
        next.add(a.repository().equals(repository) && a.rule().name().equals(name) ? new ApiRule(repository, rule) : a);
      }
      rulesDocument.write(next);
      rules = List.copyOf(next);
    }
    changed();
    return rule;
  }

  /**
   * Deletes rule {@code name} of {@code repository} (created through the API): no more scheduled
   * runs; a run going on finishes. Its last report stays in the repository's storage.
   *
   * @throws ManagementException 404, 409 if the file declares it
   */
  public void deleteRule(String repository, String name) {
    synchronized (this) {
      if (fileRule(file.get(), repository, name)) {
        throw new ManagementException(ManagementException.Reason.CONFLICT, "sync rule " + name + " of repository "
            + repository + " is declared in the configuration file, which the API does not change; remove it there"
            + " (then restart)");
      }
      load();
      if (find(rules, repository, name).isEmpty()) {
        throw new ManagementException(ManagementException.Reason.NOT_FOUND, "repository " + repository
            + " has no sync rule named " + name);
      }
      List<ApiRule> next = rules.stream().filter(a -> !(a.repository().equals(repository)
          && a.rule().name().equals(name))).toList();
      rulesDocument.write(next);
      rules = next;
    }
    changed();
  }

  private static SyncConfig.Rule parseRule(JsonNode body, String pathName) {
    SyncConfig.Rule rule = SettingsDocument.parse(body, SyncConfig.Rule.class, "an entry of repositories[].sync");
    if (pathName != null) {
      if (rule.name() != null && !rule.name().equals(pathName)) {
        throw ManagementException.invalid("name", "the body names " + rule.name() + ", the path " + pathName
            + "; a rule cannot be renamed (delete it and create the new one)");
      }
      rule = rule.withName(pathName);
    }
    return rule;
  }

  /** The file's validation of a rule of {@code repository} beside {@code others} (the API's): 400 naming the field. */
  private void check(String repository, SyncConfig.Rule rule, List<ApiRule> others) {
    try {
      checkRule(repository, rule, others);
    } catch (ConfigException bad) {
      throw SettingsDocument.invalid(bad, RULE_KEY);
    }
  }

  private void checkRule(String repository, SyncConfig.Rule rule, List<ApiRule> others) {
    WharfConfig c = combine(file.get(), List.of(), credentials);
    Set<String> taken = new LinkedHashSet<>();
    c.repositories().stream().filter(r -> r.name().equals(repository)).findFirst()
        .ifPresent(r -> (r.sync() == null ? List.<SyncConfig.Rule>of() : r.sync()).forEach(x -> taken.add(x.name())));
    others.stream().filter(a -> a.repository().equals(repository)).forEach(a -> taken.add(a.rule().name()));
    SyncConfig.validateRule(c, repository, rule, taken, RULE_KEY);
  }

  private static boolean fileRule(WharfConfig base, String repository, String rule) {
    return base.repositories().stream().filter(r -> r.name().equals(repository))
        .anyMatch(r -> r.sync() != null && r.sync().stream().anyMatch(x -> x.name().equals(rule)));
  }

  private static Optional<ApiRule> find(List<ApiRule> in, String repository, String rule) {
    return in.stream().filter(a -> a.repository().equals(repository) && a.rule().name().equals(rule)).findFirst();
  }

  // ---------------------------------------------------------------- credentials

  /** Every credential, the file's first, then the API's, without passwords. */
  public List<CredentialView> credentials() {
    sync();
    WharfConfig c = effective(file.get());
    Map<String, String> origins = new LinkedHashMap<>();
    SyncConfig.credentials(file.get()).keySet().forEach(n -> origins.put(n, "file"));
    List<CredentialView> out = new ArrayList<>();
    SyncConfig.credentials(c).forEach((name, d) -> out.add(view(c, d.credential(), origins.getOrDefault(name, "api"))));
    return out;
  }

  /** One credential, without its password; 404 if there is none of that name. */
  public CredentialView credential(String name) {
    return credentials().stream().filter(v -> v.name().equals(name)).findFirst()
        .orElseThrow(() -> new ManagementException(ManagementException.Reason.NOT_FOUND, "no credentials named " + name));
  }

  /**
   * Creates a credential from {@code body} ({@code name}, {@code username}, {@code password} or
   * {@code passwordFile}).
   *
   * @throws ManagementException 400 naming the field, 409 if the name exists or the file declares it
   */
  public CredentialView createCredential(JsonNode body) {
    SyncConfig.Credential cred = parseCredential(body);
    synchronized (this) {
      if (cred.name() != null && SyncConfig.credentials(file.get()).containsKey(cred.name())) {
        throw new ManagementException(ManagementException.Reason.CONFLICT, "credentials " + cred.name()
            + " are declared in the configuration file, which the API does not change");
      }
      check(cred);
      load();
      if (credentials.containsKey(cred.name())) {
        throw new ManagementException(ManagementException.Reason.CONFLICT, "credentials named " + cred.name()
            + " already exist");
      }
      Map<String, SyncConfig.Credential> next = new LinkedHashMap<>(credentials);
      next.put(cred.name(), cred);
      write(next);
    }
    changed();
    return credential(cred.name());
  }

  /**
   * Replaces credential {@code name} (created through the API). The password is write-only: a body
   * with neither {@code password} nor {@code passwordFile} keeps the stored one.
   *
   * @throws ManagementException 404, 409 if the file declares it, 400 naming the field
   */
  public CredentialView updateCredential(String name, JsonNode body) {
    SyncConfig.Credential cred = parseCredential(body);
    if (cred.name() != null && !cred.name().equals(name)) {
      throw ManagementException.invalid("name", "the body names " + cred.name() + ", the path " + name
          + "; credentials cannot be renamed (create the new ones, point the rules at them, delete these)");
    }
    synchronized (this) {
      if (SyncConfig.credentials(file.get()).containsKey(name)) {
        throw new ManagementException(ManagementException.Reason.CONFLICT, "credentials " + name
            + " are declared in the configuration file, which the API does not change; change them there (then"
            + " restart)");
      }
      load();
      SyncConfig.Credential current = credentials.get(name);
      if (current == null) {
        throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no credentials named " + name);
      }
      boolean keep = cred.password() == null && cred.passwordFile() == null;
      cred = new SyncConfig.Credential(name, cred.username(), keep ? current.password() : cred.password(),
          keep ? current.passwordFile() : cred.passwordFile());
      check(cred);
      Map<String, SyncConfig.Credential> next = new LinkedHashMap<>(credentials);
      next.put(name, cred);
      write(next);
    }
    changed();
    return credential(name);
  }

  /**
   * Deletes credential {@code name} (created through the API).
   *
   * @throws ManagementException 404, 409 if the file declares it or a rule uses it
   */
  public void deleteCredential(String name) {
    synchronized (this) {
      if (SyncConfig.credentials(file.get()).containsKey(name)) {
        throw new ManagementException(ManagementException.Reason.CONFLICT, "credentials " + name
            + " are declared in the configuration file, which the API does not change; remove them there (then"
            + " restart)");
      }
      load();
      if (!credentials.containsKey(name)) {
        throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no credentials named " + name);
      }
      WharfConfig c = effective(file.get());
      List<String> users = usedBy(c, name);
      if (!users.isEmpty()) {
        throw new ManagementException(ManagementException.Reason.CONFLICT, "credentials " + name
            + " are used by the sync rules " + users + "; change or delete those first");
      }
      Map<String, SyncConfig.Credential> next = new LinkedHashMap<>(credentials);
      next.remove(name);
      write(next);
    }
    changed();
  }

  private void write(Map<String, SyncConfig.Credential> next) {
    credentialsDocument.write(List.copyOf(next.values()));
    credentials = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(next));
  }

  private static SyncConfig.Credential parseCredential(JsonNode body) {
    return SettingsDocument.parse(body, SyncConfig.Credential.class, "an entry of credentials");
  }

  /** The file's validation of a credential: 400 naming the field. */
  private static void check(SyncConfig.Credential c) {
    try {
      checkCredential(c);
    } catch (ConfigException bad) {
      throw SettingsDocument.invalid(bad, CREDENTIAL_KEY);
    }
  }

  private static void checkCredential(SyncConfig.Credential c) {
    if (c.name() == null || c.name().isBlank()) {
      throw new ConfigException(CREDENTIAL_KEY + ".name: missing");
    }
    SyncConfig.credential(c, CREDENTIAL_KEY);
  }

  private static List<String> usedBy(WharfConfig c, String credential) {
    List<String> out = new ArrayList<>();
    for (WharfConfig.Repository r : c.repositories()) {
      for (SyncConfig.Rule rule : r.sync() == null ? List.<SyncConfig.Rule>of() : r.sync()) {
        if (rule.source() != null && credential.equals(rule.source().credentials())) {
          out.add(r.name() + "/" + rule.name());
        }
      }
    }
    return out;
  }

  private static CredentialView view(WharfConfig c, SyncConfig.Credential cred, String source) {
    return new CredentialView(cred.name(), cred.username(), source, usedBy(c, cred.name()));
  }

  @Override
  protected void doStart() {
    poller = SettingsDocument.poll("wharf-sync-rules", this::sync, LOG,
        "reading the sync rules and credentials created through the management API");
  }

  @Override
  protected void doStop() {
    if (poller != null) {
      poller.shutdownNow();
    }
  }
}
