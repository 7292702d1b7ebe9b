package io.wharf.server.admin;

import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Repository;
import io.wharf.proxy.ProxyRepository;
import io.wharf.proxy.UpstreamStatus;
import io.wharf.server.auth.Action;
import io.wharf.server.config.ConfigException;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.Durations;
import io.wharf.server.config.WharfConfig;
import io.wharf.server.events.Event;
import io.wharf.server.events.SystemEvents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;

/**
 * The configured repositories as the management plane shows them: the Nexus list shape
 * ({@link RepositorySummary}) and the Nexus settings shape ({@link RepositorySettings}), built
 * from the running {@link Registry} (what is live: type, write policy, members, upstream state)
 * and the {@link WharfConfig} it was built from (what only the file knows: blob store, ports,
 * durations). A repository of an embedder's registry that the config does not describe shows
 * what its object knows.
 *
 * <p>Who sees what: reads list only the repositories the caller may read (anonymous callers: those
 * with anonymous pull); settings need {@code admin} on the repository. A repository the caller may
 * not see is "not found", never "forbidden", so names do not leak.
 *
 * <p>Thread-safe; cheap (no storage access).
 */
public final class RepositoryService {
  static final String FORMAT = "docker";
  /** Nexus's repository types, as they appear in paths and bodies. */
  static final java.util.Set<String> TYPES = java.util.Set.of("hosted", "proxy", "group");

  private final RepositoryDeployment deployment;
  private final Permissions permissions;
  private final SettingsStore settings;
  private final SystemEvents events;

  /**
   * A service over a fixed set of repositories (an embedder's registry): reads only.
   *
   * @param boundPort the port a repository's own listener is bound to (null: none), so a
   *     configured port 0 shows as the real one
   */
  RepositoryService(Registry registry, WharfConfig config, Permissions permissions,
      Function<String, Integer> boundPort) {
    this(RepositoryDeployment.fixed(registry, config, boundPort), permissions, SettingsStore.inMemory());
  }

  /**
   * A service over the running server's repositories, which it changes through {@code deployment}
   * and records in {@code settings} (subject {@value RepositoryDocument#SUBJECT}).
   */
  RepositoryService(RepositoryDeployment deployment, Permissions permissions, SettingsStore settings) {
    this(deployment, permissions, settings, new SystemEvents(null));
  }

  /** As above, telling {@code events} of each repository created, changed or deleted. */
  RepositoryService(RepositoryDeployment deployment, Permissions permissions, SettingsStore settings,
      SystemEvents events) {
    this.deployment = Objects.requireNonNull(deployment);
    this.permissions = Objects.requireNonNull(permissions);
    this.settings = Objects.requireNonNull(settings);
    this.events = Objects.requireNonNull(events);
  }

  /**
   * The repositories served now, unfiltered (no permission check): for the services and the UI to
   * look through. Ask on each call: the set changes while the server runs.
   *
   * @return the running registry
   */
  public Registry registry() {
    return deployment.registry();
  }

  /**
   * {@code GET /v1/repositories}: the repositories {@code caller} may read, in configuration order.
   * Never refuses: a caller who may read none gets an empty list, as Nexus answers.
   *
   * @param caller who asks
   * @param base the server's public URL, for each repository's {@code url}
   * @return one summary per readable repository
   */
  public List<RepositorySummary> list(Caller caller, String base) {
    List<RepositorySummary> out = new ArrayList<>();
    for (Repository r : deployment.registry().repositories()) {
      if (permissions.may(caller, r, Action.READ)) {
        out.add(summary(r, base));
      }
    }
    return out;
  }

  /** One repository, if it exists and {@code caller} may read it. */
  RepositorySummary get(Caller caller, String name, String base) {
    return summary(readable(caller, name), base);
  }

  /**
   * {@code GET /v1/repositorySettings}: the settings of every repository {@code caller} administers.
   *
   * @param caller who asks
   * @param base the server's public URL, for each repository's {@code url}
   * @return the settings in Nexus's shape, in configuration order; empty on an open server without repositories
   * @throws ManagementException {@code UNAUTHENTICATED} for an anonymous caller on a secured
   *     server, {@code FORBIDDEN} for a user who administers no repository
   */
  List<RepositorySettings> settings(Caller caller, String base) {
    List<RepositorySettings> out = new ArrayList<>();
    for (Repository r : deployment.registry().repositories()) {
      if (permissions.may(caller, r, Action.ADMIN)) {
        out.add(settings(r, base));
      }
    }
    if (out.isEmpty() && permissions.secured()) {
      if (caller.isAnonymous()) {
        throw new ManagementException(ManagementException.Reason.UNAUTHENTICATED,
            "authentication required: repository settings are for administrators");
      }
      throw new ManagementException(ManagementException.Reason.FORBIDDEN,
          "user " + caller.user() + " administers no repository");
    }
    return out;
  }

  /**
   * One repository's settings ({@code GET /v1/repositories/docker/{type}/{name}}).
   *
   * @param caller must hold {@code admin} on the repository
   * @param name the repository
   * @param base the server's public URL, for each repository's {@code url}
   * @return its settings in Nexus's shape, with Wharf's additions under {@code wharf}
   * @throws ManagementException {@code NOT_FOUND} if it does not exist or the caller may not read
   *     it, {@code UNAUTHENTICATED} / {@code FORBIDDEN} if the caller may read but not administer it
   */
  public RepositorySettings settings(Caller caller, String name, String base) {
    return settings(administered(caller, name), base);
  }

  /** The repository {@code name} if {@code caller} administers it; 404, 401 or 403 otherwise. */
  private Repository administered(Caller caller, String name) {
    Repository r = readable(caller, name);
    if (!permissions.may(caller, r, Action.ADMIN)) {
      throw caller.isAnonymous()
          ? new ManagementException(ManagementException.Reason.UNAUTHENTICATED,
              "authentication required: repository settings are for administrators")
          : new ManagementException(ManagementException.Reason.FORBIDDEN,
              "user " + caller.user() + " needs the admin privilege on repository " + name);
    }
    return r;
  }

  /**
   * The repository {@code name} if {@code caller} may read it; other services (search, image
   * detail) look repositories up here, so one place decides what exists and who sees it.
   *
   * @param caller who asks
   * @param name the repository
   * @return the running repository
   * @throws ManagementException {@code NOT_FOUND} if it does not exist or the caller may not read it
   */
  public Repository readable(Caller caller, String name) {
    Optional<Repository> r = deployment.registry().repository(name);
    if (r.isEmpty() || !permissions.may(caller, r.get(), Action.READ)) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no repository named " + name);
    }
    return r.get();
  }

  // ---------------------------------------------------------------- changes

  /**
   * Creates a repository of {@code type} from Nexus's body: validated as the config file's
   * repositories are, serving at once (its own port too), recorded so it comes back after a
   * restart. Needs {@code admin} on every repository ({@code *:admin}, Nexus's global
   * administrator).
   *
   * @param caller must hold {@code *:admin}
   * @param type {@code hosted}, {@code proxy} or {@code group}, from the path
   * @param body Nexus's repository body ({@code name}, {@code online}, {@code storage}, {@code docker}, ...)
   * @throws ManagementException {@code BAD_REQUEST} naming the fields at fault (a port that cannot be
   *     opened included); {@code CONFLICT} if the name is taken or the server's repositories cannot be
   *     changed (an embedder's registry); {@code UNAUTHENTICATED} or {@code FORBIDDEN} for a caller
   *     without {@code *:admin}; {@code UNAVAILABLE} when the change cannot be recorded (nothing changed)
   */
  public synchronized void create(Caller caller, String type, JsonNode body) {
    requireGlobalAdmin(caller);
    requireChangeable();
    WharfConfig running = deployment.config();
    WharfConfig.Repository r = NexusRepositoryBody.parse(body, type, null, null, running.server().tls() != null);
    if (declared(running, r.name()) != null || deployment.registry().repository(r.name()).isPresent()) {
      throw new ManagementException(ManagementException.Reason.CONFLICT,
          "a repository named " + r.name() + " already exists");
    }
    List<WharfConfig.Repository> next = new ArrayList<>(running.repositories());
    next.add(r);
    change(running.withRepositories(next), r);
    events.repository(Event.Action.REPOSITORY_CREATE, r.name(), type, caller.actor());
  }

  /**
   * Replaces the settings of repository {@code name} (created through the API) with Nexus's body;
   * the change applies to the next request (a new write policy to the next push).
   *
   * @param caller must hold {@code admin} on the repository
   * @param type the repository's type, from the path; another type than its own is a 400
   * @param name the repository, from the path
   * @param body Nexus's repository body: it replaces every setting (an upstream password left out
   *     is kept for the same user)
   * @throws ManagementException {@code NOT_FOUND} if it does not exist or the caller may not read it;
   *     {@code UNAUTHENTICATED} or {@code FORBIDDEN} for a caller who may read but not administer it;
   *     {@code CONFLICT} if the configuration file declares it; {@code BAD_REQUEST} naming the fields
   *     at fault; {@code UNAVAILABLE} when the change cannot be recorded (nothing changed)
   */
  public synchronized void update(Caller caller, String type, String name, JsonNode body) {
    Repository current = administered(caller, name);
    requireChangeable();
    requireOwned(name, "changed");
    if (!type(current).equals(type)) {
      throw ManagementException.invalid("type", "repository " + name + " is a " + type(current)
          + " repository; use PUT /v1/repositories/docker/" + type(current) + "/" + name);
    }
    WharfConfig running = deployment.config();
    WharfConfig.Repository r = NexusRepositoryBody.parse(body, type, name, declared(running, name),
        running.server().tls() != null);
    List<WharfConfig.Repository> next = new ArrayList<>();
    running.repositories().forEach(o -> next.add(o.name().equals(name) ? r : o));
    change(running.withRepositories(next), r);
    events.repository(Event.Action.REPOSITORY_CHANGE, name, type, caller.actor());
  }

  /**
   * Deletes repository {@code name} (created through the API): it stops serving at once, its
   * own port closes, its images are deleted from its blob store (garbage collection then frees
   * the blobs no other repository uses).
   *
   * @param caller must hold {@code admin} on the repository
   * @param name the repository
   * @throws ManagementException {@code NOT_FOUND} if it does not exist or the caller may not read it;
   *     {@code UNAUTHENTICATED} or {@code FORBIDDEN} for a caller who may read but not administer it;
   *     {@code CONFLICT} if the configuration file declares it or a group holds it; {@code UNAVAILABLE}
   *     when the change cannot be recorded (nothing changed)
   */
  public synchronized void delete(Caller caller, String name) {
    Repository deleted = administered(caller, name);
    requireChangeable();
    requireOwned(name, "deleted");
    WharfConfig running = deployment.config();
    List<String> groups = running.repositories().stream()
        .filter(g -> g.isGroup() && (g.members().contains(name) || name.equals(g.writableMember())))
        .map(WharfConfig.Repository::name).toList();
    if (!groups.isEmpty()) {
      throw new ManagementException(ManagementException.Reason.CONFLICT, "repository " + name
          + " is a member of group " + String.join(", ", groups) + "; remove it from the group first");
    }
    List<WharfConfig.Repository> next = running.repositories().stream().filter(o -> !o.name().equals(name)).toList();
    change(running.withRepositories(next), null);
    events.repository(Event.Action.REPOSITORY_DELETE, name, type(deleted), caller.actor());
  }

  /** What {@link #reload} did: the repositories now served, and those of the document left out (and why). */
  record Reloaded(List<String> repositories, List<String> warnings) {}

  /**
   * Makes the running set the file's repositories plus those of the API's document as it is now
   * in the settings store (changed by another node sharing the store), with the same precedence
   * as at start. Global administrators only.
   */
  synchronized Reloaded reload(Caller caller) {
    requireGlobalAdmin(caller);
    requireChangeable();
    WharfConfig running = deployment.config();
    Set<String> pinned = deployment.pinned();
    WharfConfig file = running.withRepositories(
        running.repositories().stream().filter(r -> pinned.contains(r.name())).toList());
    List<String> warnings = new ArrayList<>();
    WharfConfig next = RepositoryDocument.merge(file, RepositoryDocument.read(settings), warnings::add);
    try {
      deployment.apply(next, () -> { }); // the document is where this came from
    } catch (RepositoryDeployment.PortUnavailableException e) {
      throw new ManagementException(ManagementException.Reason.CONFLICT,
          "repository " + e.repository() + ": " + e.getMessage() + "; nothing was reloaded");
    }
    return new Reloaded(next.repositories().stream().map(WharfConfig.Repository::name).toList(), warnings);
  }

  private void requireGlobalAdmin(Caller caller) {
    if (permissions.mayEverywhere(caller, Action.ADMIN)) {
      return;
    }
    throw caller.isAnonymous()
        ? new ManagementException(ManagementException.Reason.UNAUTHENTICATED,
            "authentication required: creating a repository is for administrators")
        : new ManagementException(ManagementException.Reason.FORBIDDEN,
            "user " + caller.user() + " needs the admin privilege on every repository (*:admin) to create one");
  }

  private void requireChangeable() {
    if (!deployment.changeable()) {
      deployment.apply(deployment.config(), () -> { }); // refuses, saying why
    }
  }

  private void requireOwned(String name, String verb) {
    if (deployment.pinned().contains(name)) {
      throw new ManagementException(ManagementException.Reason.CONFLICT, "repository " + name
          + " is declared in the configuration file, which the API does not change; it can only be " + verb
          + " there (then restart)");
    }
  }

  /** Validates {@code next} (with {@code changed} the repository created or changed, null on a delete) and applies it. */
  private void change(WharfConfig next, WharfConfig.Repository changed) {
    if (changed != null) {
      checkStore(next, changed);
      try {
        ConfigLoader.validate(next, SOURCE);
      } catch (ConfigException e) {
        throw ManagementException.invalid(field(e.getMessage(), next), message(e.getMessage()));
      }
    }
    Set<String> pinned = deployment.pinned();
    List<WharfConfig.Repository> owned = next.repositories().stream().filter(r -> !pinned.contains(r.name())).toList();
    try {
      deployment.apply(next, () -> RepositoryDocument.write(settings, owned));
    } catch (RepositoryDeployment.PortUnavailableException e) {
      throw ManagementException.invalid(next.server().tls() != null ? "docker.httpsPort" : "docker.httpPort",
          e.getMessage());
    } catch (java.io.UncheckedIOException e) {
      throw new ManagementException(ManagementException.Reason.UNAVAILABLE,
          "the change could not be recorded, so it was not made: " + e.getMessage());
    }
  }

  /**
   * A new repository keeps its images in a namespace of its own on its blob store; refused when
   * another repository uses the store whole (its images at the root), where they would mix.
   */
  private static void checkStore(WharfConfig next, WharfConfig.Repository r) {
    if (r.isGroup() || r.blobStore() == null) {
      return;
    }
    for (WharfConfig.Repository o : next.repositories()) {
      if (o.name().equals(r.name()) || o.isGroup() || !r.blobStore().equals(o.blobStore())) {
        continue;
      }
      if (o.namespace() == null || o.namespace().isEmpty()) {
        throw ManagementException.invalid("storage.blobStoreName", "blob store " + r.blobStore()
            + " is used whole by repository " + o.name() + " (its images are at the store's root), where a second"
            + " repository's images would mix with its own; use another blob store");
      }
      if (o.namespace().equals(r.namespace())) {
        throw ManagementException.invalid("storage.blobStoreName", "repository " + o.name() + " keeps its images"
            + " under " + o.namespace() + "/ on blob store " + r.blobStore() + "; use another blob store");
      }
    }
  }

  private static final String SOURCE = "management API";
  private static final java.util.regex.Pattern CONFIG_KEY = java.util.regex.Pattern.compile(
      java.util.regex.Pattern.quote(SOURCE) + ": repositories(?:\\[\\d+])? \\(([^)]*)\\)(?:\\.([A-Za-z.]+))?: (.*)",
      java.util.regex.Pattern.DOTALL);

  /** The config file's keys as Nexus's fields name them (prefixes; the rest of the key is kept). */
  private static final Map<String, String> FIELDS = Map.ofEntries(
      Map.entry("name", "name"), Map.entry("http.port", "docker.httpPort"),
      Map.entry("http.maxConnections", "wharf.maxConnections"), Map.entry("hosts", "wharf.hosts"),
      Map.entry("blobStore", "storage.blobStoreName"), Map.entry("namespace", "storage.blobStoreName"),
      Map.entry("writePolicy", "storage.writePolicy"), Map.entry("members", "group.memberNames"),
      Map.entry("writableMember", "group.writableMember"), Map.entry("remoteUrl", "proxy.remoteUrl"),
      Map.entry("index", "dockerProxy.indexType"), Map.entry("metadataMaxAge", "proxy.metadataMaxAge"),
      Map.entry("negativeCacheTtl", "negativeCache.timeToLive"), Map.entry("username",
          "httpClient.authentication.username"), Map.entry("password", "httpClient.authentication.password"),
      Map.entry("outbound.retries", "httpClient.connection.retries"),
      Map.entry("outbound.timeout", "httpClient.connection.timeout"),
      Map.entry("outbound", "httpClient.connection"), Map.entry("metadataCacheTtl", "wharf.metadataCacheTtl"),
      Map.entry("cleanup", "wharf.cleanup"), Map.entry("quota", "wharf.quota"), Map.entry("cache", "wharf.cache"));

  /** The Nexus field a config-file validation message is about ({@code *} for the whole body). */
  private static String field(String message, WharfConfig next) {
    java.util.regex.Matcher m = CONFIG_KEY.matcher(message);
    if (!m.matches()) {
      return "*";
    }
    String key = m.group(2) == null ? "" : m.group(2);
    if (key.isEmpty()) {
      // a message about the whole repository, e.g. a cleanup on a shared store
      return "*";
    }
    String best = null;
    for (String k : FIELDS.keySet()) {
      if ((key.equals(k) || key.startsWith(k + ".")) && (best == null || k.length() > best.length())) {
        best = k;
      }
    }
    if (best == null) {
      return "*";
    }
    String field = FIELDS.get(best) + key.substring(best.length());
    if (field.equals("docker.httpPort") && next.server().tls() != null) {
      return "docker.httpsPort";
    }
    return field;
  }

  /** The validation message without its source and key (the field says where). */
  private static String message(String message) {
    java.util.regex.Matcher m = CONFIG_KEY.matcher(message);
    if (!m.matches()) {
      return message.startsWith(SOURCE + ": ") ? message.substring(SOURCE.length() + 2) : message;
    }
    return (m.group(2) == null ? "repository " + m.group(1) + ": " : "") + m.group(3);
  }

  // ---------------------------------------------------------------- shapes

  private static String type(Repository r) {
    return r.type().name().toLowerCase(Locale.ROOT);
  }

  private static String url(Repository r, String base) {
    return base + "/repository/" + r.name();
  }

  private RepositorySummary summary(Repository r, String base) {
    Map<String, Object> attributes = new LinkedHashMap<>();
    if (r instanceof ProxyRepository p) {
      attributes.put("proxy", Map.of("remoteUrl", p.remoteUrl().toString()));
    }
    return new RepositorySummary(r.name(), FORMAT, type(r), url(r, base), true, attributes);
  }

  private RepositorySettings settings(Repository r, String base) {
    WharfConfig config = deployment.config();
    WharfConfig.Repository c = declared(config, r.name());
    String key = "repositories (" + r.name() + ")";
    RepositorySettings.Storage storage = null;
    RepositorySettings.Cleanup cleanup = null;
    RepositorySettings.Proxy proxy = null;
    RepositorySettings.NegativeCache negativeCache = null;
    RepositorySettings.HttpClient httpClient = null;
    RepositorySettings.DockerProxy dockerProxy = null;
    RepositorySettings.Group group = null;
    RepositorySettings.Upstream upstream = null;
    String blobStore = c == null ? null : c.blobStore();
    if (r instanceof HostedRepository h) {
      storage = new RepositorySettings.Storage(blobStore, true, h.writePolicy().name(),
          c == null ? null : Boolean.TRUE.equals(c.allowLatestRedeploy()));
      cleanup = new RepositorySettings.Cleanup(List.of());
    } else if (r instanceof ProxyRepository p) {
      storage = new RepositorySettings.Storage(blobStore, true, null, null);
      cleanup = new RepositorySettings.Cleanup(List.of());
      Duration maxAge = c == null ? null : Durations.parse(c.metadataMaxAge(), key + ".metadataMaxAge");
      proxy = new RepositorySettings.Proxy(p.remoteUrl().toString(), -1, maxAge == null ? 1440 : minutes(maxAge));
      if (c != null) {
        Duration ttl = Durations.parse(c.negativeCacheTtl(), key + ".negativeCacheTtl");
        negativeCache = new RepositorySettings.NegativeCache(!ttl.isZero(), minutes(ttl));
        WharfConfig.Outbound out = c.outbound() == null ? config.http() : c.outbound().over(config.http());
        Duration timeout = Durations.parse(out.timeout(), key + ".outbound.timeout");
        httpClient = new RepositorySettings.HttpClient(false, true,
            new RepositorySettings.Connection(out.retries(), out.userAgent(), (int) timeout.toSeconds(), false, false,
                false),
            c.username() == null ? null : new RepositorySettings.Authentication("username", c.username()));
        dockerProxy = new RepositorySettings.DockerProxy(c.index().toUpperCase(Locale.ROOT), null, false, List.of());
      }
      UpstreamStatus s = p.status();
      upstream = new RepositorySettings.Upstream(s.blocked(), s.blockedUntil(), s.consecutiveFailures(), s.lastError());
    } else if (r instanceof GroupRepository g) {
      group = new RepositorySettings.Group(g.members().stream().map(Repository::name).toList(),
          g.writableMember().map(Repository::name).orElse(null));
    }
    RepositorySettings.Wharf wharf = c == null
        ? new RepositorySettings.Wharf(null, null, null, null, null, null, null, null, null, null, upstream)
        : new RepositorySettings.Wharf(c.hosts(), Boolean.TRUE.equals(c.anonymousPull()), c.realms(), c.namespace(),
            c.metadataCacheTtl(), c.metadataMaxAge(), c.negativeCacheTtl(), c.cleanup(), c.quota(), c.cache(),
            upstream);
    return new RepositorySettings(r.name(), FORMAT, type(r), url(r, base), true, storage, cleanup, docker(r, c, config),
        proxy, negativeCache, httpClient, dockerProxy, group, wharf);
  }

  private RepositorySettings.Docker docker(Repository r, WharfConfig.Repository c, WharfConfig config) {
    Integer port = deployment.boundPort(r.name());
    boolean tls = c != null && c.http() != null && c.http().tls() != null || config.server().tls() != null;
    // Nexus's forceBasicAuth=false is "allow anonymous docker pull"
    boolean forceBasicAuth = permissions.secured() && (c == null || !Boolean.TRUE.equals(c.anonymousPull()));
    // Wharf serves /repository/<name>/v2/ on the main port either way; shown as Nexus would (path
    // routing or a port, not both), so that a read-modify-write of these settings is accepted
    return new RepositorySettings.Docker(false, forceBasicAuth, tls ? null : port, tls ? port : null, null,
        port == null ? Boolean.TRUE : null);
  }

  private static WharfConfig.Repository declared(WharfConfig config, String name) {
    for (WharfConfig.Repository r : config.repositories()) {
      if (r.name().equals(name)) {
        return r;
      }
    }
    return null;
  }

  /** Whole minutes, rounded up (Nexus counts max ages in minutes). */
  private static int minutes(Duration d) {
    return (int) Math.min(Integer.MAX_VALUE, (d.toSeconds() + 59) / 60);
  }
}
