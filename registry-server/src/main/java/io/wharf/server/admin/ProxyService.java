package io.wharf.server.admin;

import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.Repository;
import io.wharf.proxy.ProxyRepository;
import io.wharf.proxy.UpstreamStatus;
import io.wharf.server.auth.Action;
import io.wharf.server.metrics.WharfMetrics;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * The proxy repositories' state for operators: is the upstream reachable or auto-blocked (until
 * when, after how many failures, why), how big is the cache, how often it answers. And Nexus's
 * "invalidate cache" ({@link ProxyRepository#invalidateCache()}).
 *
 * <p>{@code reachable} is what the proxy learnt from its own traffic (no request of its own): no
 * failure since the last success. Counts are this node's since it started (from the metrics;
 * null when metrics are off). Reads need read rights on the repository, invalidation admin.
 */
final class ProxyService {

  /**
   * The cache's counts on this node since start: manifest and blob requests, answered from the
   * cache (hits) or needing the upstream (misses), and the bytes pulled from upstream.
   *
   * @param hitRatio hits / (hits + misses); null before the first
   */
  public record CacheCounts(long requests, long hits, long misses, Double hitRatio, long upstreamBytes) {}

  /**
   * One proxy's state.
   *
   * @param cacheSizeInBytes the distinct blobs the cache holds (rescanned at most once a minute); null if
   *     the store could not be read
   * @param counts null when metrics are off
   */
  public record ProxyState(String name, String remoteUrl, boolean reachable, boolean blocked, Instant blockedUntil,
      int consecutiveFailures, String lastError, Long cacheSizeInBytes, CacheCounts counts) {}

  private final Supplier<? extends Iterable<Repository>> repositories;
  private final BiFunction<Caller, String, Repository> lookup;
  private final Permissions permissions;
  private final WharfMetrics metrics;

  /**
   * @param readable looks a repository up for a caller ({@link RepositoryService#readable}), 404 if it may not see it
   * @param metrics null: no counts
   */
  public ProxyService(Supplier<? extends Iterable<Repository>> repositories,
      BiFunction<Caller, String, Repository> readable, Permissions permissions,
      WharfMetrics metrics) {
    this.repositories = Objects.requireNonNull(repositories);
    this.lookup = Objects.requireNonNull(readable);
    this.permissions = Objects.requireNonNull(permissions);
    this.metrics = metrics;
  }

  /** The proxies {@code caller} may read. */
  public List<ProxyState> list(Caller caller) {
    List<ProxyState> out = new ArrayList<>();
    for (Repository r : repositories.get()) {
      if (r instanceof ProxyRepository p && permissions.may(caller, r, Action.READ)) {
        out.add(state(p));
      }
    }
    return out;
  }

  /** One proxy; 404 if it does not exist, the caller may not read it, or it is no proxy. */
  public ProxyState get(Caller caller, String name) {
    if (lookup.apply(caller, name) instanceof ProxyRepository p) {
      return state(p);
    }
    throw new ManagementException(ManagementException.Reason.NOT_FOUND, "repository " + name + " is not a proxy");
  }

  /**
   * Invalidates the cached metadata of a proxy, or of every proxy member of a group (as Nexus
   * does for a group).
   *
   * @return the proxies invalidated
   * @throws ManagementException 404 unknown, 401/403 not an administrator of it, 400 a hosted repository
   */
  public List<String> invalidate(Caller caller, String name) {
    Repository r = lookup.apply(caller, name);
    if (!permissions.may(caller, r, Action.ADMIN)) {
      throw caller.isAnonymous()
          ? new ManagementException(ManagementException.Reason.UNAUTHENTICATED,
              "authentication required: invalidating a cache is for administrators")
          : new ManagementException(ManagementException.Reason.FORBIDDEN,
              "user " + caller.user() + " needs the admin privilege on repository " + name);
    }
    List<ProxyRepository> proxies = new ArrayList<>();
    collect(r, proxies);
    if (!(r instanceof ProxyRepository) && !(r instanceof GroupRepository)) {
      throw new ManagementException(ManagementException.Reason.BAD_REQUEST,
          "repository " + name + " is a " + r.type().name().toLowerCase(java.util.Locale.ROOT)
              + " repository: only proxy and group repositories have a cache to invalidate");
    }
    proxies.forEach(ProxyRepository::invalidateCache);
    return proxies.stream().map(ProxyRepository::name).toList();
  }

  private static void collect(Repository r, List<ProxyRepository> out) {
    if (r instanceof ProxyRepository p && !out.contains(p)) {
      out.add(p);
    } else if (r instanceof GroupRepository g) {
      for (Repository m : g.members()) {
        collect(m, out);
      }
    }
  }

  private ProxyState state(ProxyRepository p) {
    UpstreamStatus s = p.status();
    Long size;
    try {
      size = p.cachedBytes();
    } catch (IOException | RuntimeException e) {
      size = null;
    }
    CacheCounts counts = null;
    if (metrics != null) {
      WharfMetrics.ProxyCounts c = metrics.proxyCounts(p.name());
      counts = new CacheCounts(c.requests(), c.hits(), c.misses(), c.hitRatio(), c.pulledBytes());
    }
    return new ProxyState(p.name(), p.remoteUrl().toString(), !s.blocked() && s.consecutiveFailures() == 0,
        s.blocked(), s.blockedUntil(), s.consecutiveFailures(), s.lastError(), size, counts);
  }
}
