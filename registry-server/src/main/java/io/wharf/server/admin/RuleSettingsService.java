package io.wharf.server.admin;

import io.wharf.server.config.ConfigException;
import io.wharf.server.config.ReplicationConfig;
import io.wharf.server.config.SyncConfig;
import io.wharf.server.config.WharfConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * Pull rules, push rules and the outbound credentials they use, created, changed and deleted
 * through the management API, with the same precedence as webhook endpoints
 * ({@link EventEndpointService}):
 *
 * <ul>
 *   <li>the config file's rules ({@code repositories[].sync}, {@code repositories[].replication})
 *       and credentials ({@code credentials}, {@code security.credentials}) are pinned: the API
 *       cannot create one of their names, change or delete them;
 *   <li>the API's are kept in the {@link SettingsStore}: each kind of rules in its own document
 *       ({@link ApiRules}: pull rules under subject {@code sync-rules}, push rules under
 *       {@code replication-rules}), credentials under {@value #CREDENTIALS} as
 *       {@code {"version":1,"credentials":[...]}}, each in the file's entry shape (a password
 *       included: it is sent to the remote, so it cannot be kept hashed);
 *   <li>a name in both: the file wins, the API's entry is left out with a warning.
 * </ul>
 *
 * A change is validated as the file's entries are (against the file's repositories, the file's
 * and the API's rules and credentials), written, and then in effect: {@link #effective} adds the
 * API's rules and credentials to the configuration the {@link io.wharf.server.sync.SyncService}
 * and the {@link io.wharf.server.sync.ReplicationService} read, and the listeners
 * ({@link #onChange}: their {@code reschedule}) make the schedules follow. Every node reads the
 * documents again before each change and each read of the rules, and on its own every
 * {@link SettingsDocument#SYNC_INTERVAL}. A password is never shown, logged or put in an answer.
 */
final class RuleSettingsService extends AbstractLifeCycle {
  private static final Logger LOG = LoggerFactory.getLogger(RuleSettingsService.class);
  /** The settings subject of the credentials. */
  public static final String CREDENTIALS = "sync-credentials";
  private static final String CREDENTIAL_KEY = "credential";

  /**
   * A credential as the API shows it: never its password.
   *
   * @param name the credential's name
   * @param username the user name
   * @param source {@code file} or {@code api}
   * @param usedBy the rules that use it, {@code repository/rule}
   */
  public record CredentialView(String name, String username, String source, List<String> usedBy) {}

  private final Supplier<WharfConfig> file;
  private final List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final SettingsDocument<SyncConfig.Credential> credentialsDocument;
  /** The API's rules of each kind; guarded by {@code this}. */
  private final ApiRules<SyncConfig.Rule> pull;
  private final ApiRules<ReplicationConfig.Rule> push;
  /** The API's credentials in effect; replaced whole, guarded by {@code this}. */
  private Map<String, SyncConfig.Credential> credentials = Map.of();
  private ScheduledExecutorService poller;

  /**
   * A service over the documents of {@code settings}.
   *
   * @param settings where the API's rules and credentials are kept
   * @param file the configuration without the API's rules and credentials (the file's, with the
   *     repositories as they run now)
   */
  public RuleSettingsService(SettingsStore settings, Supplier<WharfConfig> file) {
    this.file = file;
    this.credentialsDocument = new SettingsDocument<>(settings, CREDENTIALS, "credentials",
        SyncConfig.Credential.class, "the sync credentials");
    Supplier<WharfConfig> checkedAgainst = () -> withCredentials(file.get(), credentials);
    this.pull = new ApiRules<>(ApiRules.PULL, settings, file, checkedAgainst);
    this.push = new ApiRules<>(ApiRules.PUSH, settings, file, checkedAgainst);
  }

  /**
   * {@code config} with the API's rules after each repository's own and the API's credentials
   * after the file's.
   *
   * @param config the configuration without them
   * @return the configuration in effect
   */
  public synchronized WharfConfig effective(WharfConfig config) {
    return push.combine(pull.combine(withCredentials(config, credentials)));
  }

  private static WharfConfig withCredentials(WharfConfig config, Map<String, SyncConfig.Credential> c) {
    if (c.isEmpty()) {
      return config;
    }
    List<SyncConfig.Credential> creds = new ArrayList<>(config.credentials() == null ? List.of()
        : config.credentials());
    creds.addAll(c.values());
    return config.withCredentials(creds);
  }

  /**
   * Calls {@code changed} (outside this service's lock) after the rules or credentials in effect changed.
   *
   * @param changed what to call, e.g. a service's {@code reschedule}
   */
  public void onChange(Runnable changed) {
    listeners.add(changed);
  }

  private void changed() {
    listeners.forEach(Runnable::run);
  }

  private <R> ApiRules<R> of(ApiRules.Kind<R> kind) {
    @SuppressWarnings("unchecked")
    ApiRules<R> rules = (ApiRules<R>) (kind == ApiRules.PULL ? pull : kind == ApiRules.PUSH ? push : null);
    if (rules == null) {
      throw new IllegalArgumentException("unknown kind of rules " + kind.label());
    }
    return rules;
  }

  /**
   * Whether a rule was created through the API (not declared in the file).
   *
   * @param kind {@link ApiRules#PULL} or {@link ApiRules#PUSH}
   * @param repository the repository
   * @param rule the rule's name
   * @return true if the API created it
   */
  public synchronized boolean createdThroughApi(ApiRules.Kind<?> kind, String repository, String rule) {
    return of(kind).createdThroughApi(repository, rule);
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

  /** Reads every document (the credentials first: the rules are checked against them); whether what is in effect changed. */
  private boolean load() {
    boolean creds = loadCredentials();
    boolean pulled = pull.load();
    boolean pushed = push.load();
    return creds || pulled || pushed;
  }

  private boolean loadCredentials() {
    Optional<List<SyncConfig.Credential>> creds = credentialsDocument.readIfChanged();
    if (creds.isEmpty()) {
      return false;
    }
    Set<String> pinned = SyncConfig.credentials(file.get()).keySet();
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
    return true;
  }

  // ---------------------------------------------------------------- rules

  /**
   * Creates a rule of {@code repository} from {@code body} (the config file's rule shape):
   * validated, recorded, in effect (scheduled, copying on push).
   *
   * @param kind {@link ApiRules#PULL} or {@link ApiRules#PUSH}
   * @param repository the repository
   * @param body the request body
   * @param <R> the rule type
   * @return the rule created
   * @throws ManagementException 400 naming the field, 409 if the repository has a rule of that name
   */
  public <R> R createRule(ApiRules.Kind<R> kind, String repository, JsonNode body) {
    R rule;
    synchronized (this) {
      load();
      rule = of(kind).create(repository, body);
    }
    changed();
    return rule;
  }

  /**
   * Replaces rule {@code name} of {@code repository} (created through the API) with {@code body};
   * a body without {@code name} keeps it. A run going on finishes as it started; the next uses this.
   *
   * @param kind {@link ApiRules#PULL} or {@link ApiRules#PUSH}
   * @param repository the repository
   * @param name the rule's name
   * @param body the request body
   * @param <R> the rule type
   * @return the rule as it is now
   * @throws ManagementException 404, 409 if the file declares it, 400 naming the field
   */
  public <R> R updateRule(ApiRules.Kind<R> kind, String repository, String name, JsonNode body) {
    R rule;
    synchronized (this) {
      load();
      rule = of(kind).update(repository, name, body);
    }
    changed();
    return rule;
  }

  /**
   * Deletes rule {@code name} of {@code repository} (created through the API): no more scheduled
   * runs nor copies on push; a run going on finishes. Its last report stays in the repository's
   * storage.
   *
   * @param kind {@link ApiRules#PULL} or {@link ApiRules#PUSH}
   * @param repository the repository
   * @param name the rule's name
   * @throws ManagementException 404, 409 if the file declares it
   */
  public void deleteRule(ApiRules.Kind<?> kind, String repository, String name) {
    synchronized (this) {
      load();
      of(kind).delete(repository, name);
    }
    changed();
  }

  // ---------------------------------------------------------------- credentials

  /**
   * Every credential, the file's first, then the API's, without passwords.
   *
   * @return the credentials as the API shows them
   */
  public List<CredentialView> credentials() {
    sync();
    WharfConfig c = effective(file.get());
    Map<String, String> origins = new LinkedHashMap<>();
    SyncConfig.credentials(file.get()).keySet().forEach(n -> origins.put(n, "file"));
    List<CredentialView> out = new ArrayList<>();
    SyncConfig.credentials(c).forEach((name, d) -> out.add(view(c, d.credential(), origins.getOrDefault(name, "api"))));
    return out;
  }

  /**
   * One credential, without its password.
   *
   * @param name the credential's name
   * @return it as the API shows it
   * @throws ManagementException 404 if there is none of that name
   */
  public CredentialView credential(String name) {
    return credentials().stream().filter(v -> v.name().equals(name)).findFirst()
        .orElseThrow(() -> new ManagementException(ManagementException.Reason.NOT_FOUND, "no credentials named " + name));
  }

  /**
   * Creates a credential from {@code body} ({@code name}, {@code username}, {@code password} or
   * {@code passwordFile}).
   *
   * @param body the request body
   * @return the credential created, as the API shows it
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
   * @param name the credential's name
   * @param body the request body
   * @return the credential as it is now, as the API shows it
   * @throws ManagementException 404, 409 if the file declares it, 400 naming the field
   */
  public CredentialView updateCredential(String name, JsonNode body) {
    SyncConfig.Credential cred = parseCredential(body);
    if (cred.name() != null && !cred.name().equals(name)) {
      throw ManagementException.invalid("name", "the body names " + cred.name() + ", the path " + name
          + "; credentials cannot be renamed (create the new ones, point the rules at them, delete these)");
    }
    synchronized (this) {
      SyncConfig.Credential current = apiCredential(name, "change");
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
   * Credential {@code name} as the API keeps it, read anew; the caller holds the lock.
   *
   * @param verb what the caller would do, for the file's conflict ("change", "remove")
   * @throws ManagementException 409 if the file declares it, 404 if there is none
   */
  private SyncConfig.Credential apiCredential(String name, String verb) {
    if (SyncConfig.credentials(file.get()).containsKey(name)) {
      throw new ManagementException(ManagementException.Reason.CONFLICT, "credentials " + name
          + " are declared in the configuration file, which the API does not change; " + verb + " them there (then"
          + " restart)");
    }
    load();
    SyncConfig.Credential current = credentials.get(name);
    if (current == null) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no credentials named " + name);
    }
    return current;
  }

  /**
   * Deletes credential {@code name} (created through the API).
   *
   * @param name the credential's name
   * @throws ManagementException 404, 409 if the file declares it or a rule uses it
   */
  public void deleteCredential(String name) {
    synchronized (this) {
      apiCredential(name, "remove");
      WharfConfig c = effective(file.get());
      List<String> users = usedBy(c, name);
      if (!users.isEmpty()) {
        throw new ManagementException(ManagementException.Reason.CONFLICT, "credentials " + name
            + " are used by the rules " + users + "; change or delete those first");
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

  /** The rules using {@code credential}: {@code repository/rule} for a pull rule, {@code repository/replication/rule} for a push rule. */
  private static List<String> usedBy(WharfConfig c, String credential) {
    List<String> out = new ArrayList<>();
    for (WharfConfig.Repository r : c.repositories()) {
      for (SyncConfig.Rule rule : ApiRules.PULL.of().apply(r)) {
        if (rule.source() != null && credential.equals(rule.source().credentials())) {
          out.add(r.name() + "/" + rule.name());
        }
      }
      for (ReplicationConfig.Rule rule : ApiRules.PUSH.of().apply(r)) {
        if (rule.target() != null && credential.equals(rule.target().credentials())) {
          out.add(r.name() + "/replication/" + rule.name());
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
        "reading the sync and replication rules and credentials created through the management API");
  }

  @Override
  protected void doStop() {
    if (poller != null) {
      poller.shutdownNow();
    }
  }
}
