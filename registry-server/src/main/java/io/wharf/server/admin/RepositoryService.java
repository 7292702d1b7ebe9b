package io.wharf.server.admin;

import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Repository;
import io.wharf.proxy.ProxyRepository;
import io.wharf.proxy.UpstreamStatus;
import io.wharf.server.auth.Action;
import io.wharf.server.config.Durations;
import io.wharf.server.config.WharfConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

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

  private final Registry registry;
  private final WharfConfig config;
  private final Map<String, WharfConfig.Repository> declared = new LinkedHashMap<>();
  private final Permissions permissions;
  private final Function<String, Integer> boundPort;

  /**
   * @param boundPort the port a repository's own listener is bound to (null: none), so a
   *     configured port 0 shows as the real one
   */
  public RepositoryService(Registry registry, WharfConfig config, Permissions permissions,
      Function<String, Integer> boundPort) {
    this.registry = Objects.requireNonNull(registry);
    this.config = config.withDefaults();
    this.config.repositories().forEach(r -> declared.put(r.name(), r));
    this.permissions = Objects.requireNonNull(permissions);
    this.boundPort = Objects.requireNonNull(boundPort);
  }

  /** The repositories {@code caller} may read, in configuration order; {@code base} is the server's public URL. */
  public List<RepositorySummary> list(Caller caller, String base) {
    List<RepositorySummary> out = new ArrayList<>();
    for (Repository r : registry.repositories()) {
      if (permissions.may(caller, r, Action.READ)) {
        out.add(summary(r, base));
      }
    }
    return out;
  }

  /** One repository, if it exists and {@code caller} may read it. */
  public RepositorySummary get(Caller caller, String name, String base) {
    return summary(readable(caller, name), base);
  }

  /**
   * The settings of every repository {@code caller} administers.
   *
   * @throws ManagementException {@code UNAUTHENTICATED} for an anonymous caller on a secured
   *     server, {@code FORBIDDEN} for a user who administers no repository
   */
  public List<RepositorySettings> settings(Caller caller, String base) {
    List<RepositorySettings> out = new ArrayList<>();
    for (Repository r : registry.repositories()) {
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
   * One repository's settings.
   *
   * @throws ManagementException {@code NOT_FOUND} if it does not exist or the caller may not read
   *     it, {@code UNAUTHENTICATED} / {@code FORBIDDEN} if the caller may read but not administer it
   */
  public RepositorySettings settings(Caller caller, String name, String base) {
    Repository r = readable(caller, name);
    if (!permissions.may(caller, r, Action.ADMIN)) {
      throw caller.isAnonymous()
          ? new ManagementException(ManagementException.Reason.UNAUTHENTICATED,
              "authentication required: repository settings are for administrators")
          : new ManagementException(ManagementException.Reason.FORBIDDEN,
              "user " + caller.user() + " needs the admin privilege on repository " + name);
    }
    return settings(r, base);
  }

  /**
   * The repository {@code name} if {@code caller} may read it; other services (search, image
   * detail) look repositories up here, so one place decides what exists and who sees it.
   *
   * @throws ManagementException {@code NOT_FOUND} if it does not exist or the caller may not read it
   */
  public Repository readable(Caller caller, String name) {
    Optional<Repository> r = registry.repository(name);
    if (r.isEmpty() || !permissions.may(caller, r.get(), Action.READ)) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no repository named " + name);
    }
    return r.get();
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
    WharfConfig.Repository c = declared.get(r.name());
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
    return new RepositorySettings(r.name(), FORMAT, type(r), url(r, base), true, storage, cleanup, docker(r, c),
        proxy, negativeCache, httpClient, dockerProxy, group, wharf);
  }

  private RepositorySettings.Docker docker(Repository r, WharfConfig.Repository c) {
    Integer port = boundPort.apply(r.name());
    boolean tls = c != null && c.http() != null && c.http().tls() != null || config.server().tls() != null;
    // Nexus's forceBasicAuth=false is "allow anonymous docker pull"
    boolean forceBasicAuth = permissions.secured() && (c == null || !Boolean.TRUE.equals(c.anonymousPull()));
    return new RepositorySettings.Docker(false, forceBasicAuth, tls ? null : port, tls ? port : null, null, true);
  }

  /** Whole minutes, rounded up (Nexus counts max ages in minutes). */
  private static int minutes(Duration d) {
    return (int) Math.min(Integer.MAX_VALUE, (d.toSeconds() + 59) / 60);
  }
}
