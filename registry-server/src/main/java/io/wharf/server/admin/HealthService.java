package io.wharf.server.admin;

import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Repository;
import io.wharf.core.quota.Quota;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StoreSpace;
import java.io.IOException;
import io.wharf.proxy.ProxyRepository;
import io.wharf.proxy.UpstreamStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The server's health, for load balancers ({@code /health/live}, {@code /health/ready}), for
 * Nexus-style monitoring ({@code /v1/status}, {@code /v1/status/writable}) and for operators
 * ({@code /v1/status/check}: every named check with its details).
 *
 * <ul>
 *   <li><b>live</b>: the process answers requests.
 *   <li><b>readable</b>: every blob store answers reads. <b>writable</b>: every blob store takes
 *       writes ({@link StorageProbe}, cached for a few seconds).
 *   <li><b>ready</b>: every readiness check passes: every blob store writable, and every blob
 *       store whose driver reports its free space above its reserve ({@link #freeSpace}: a store
 *       below it refuses uploads, so a load balancer should send pushes elsewhere).
 * </ul>
 */
public final class HealthService {
  /** The repositories running now: they change live, and with them the upstream checks. */
  private final Supplier<Registry> registry;
  private final Permissions permissions;
  private final List<StorageProbe> probes;
  private final List<HealthCheck> readiness;
  private final HealthCheck signingKey;
  private final List<HealthCheck> others;
  private final Clock clock;

  /**
   * Whether the server should take traffic.
   *
   * @param ready every readiness check passes
   * @param failing the readiness checks that fail, name to message, in check order; empty when ready
   */
  public record Readiness(boolean ready, Map<String, String> failing) {}

  /**
   * One check as Nexus's {@code /v1/status/check} shows it.
   *
   * @param time epoch milliseconds of the answer
   * @param duration milliseconds the check took
   */
  record CheckResult(boolean healthy, String message, String error, Map<String, Object> details, long time,
      long duration, Instant timestamp) {}

  private HealthService(Builder b) {
    this.registry = b.registry;
    this.permissions = b.permissions;
    this.probes = List.copyOf(b.probes);
    this.clock = b.clock;
    List<HealthCheck> ready = new ArrayList<>();
    for (StorageProbe p : probes) {
      ready.add(writable(p));
    }
    ready.addAll(b.readiness);
    this.readiness = List.copyOf(ready);
    this.signingKey = b.signingKey == null ? null : signingKey(b.signingKey);
    this.others = List.copyOf(b.others);
  }

  static Builder builder(Registry registry, Permissions permissions) {
    Objects.requireNonNull(registry);
    return new Builder(() -> registry, permissions);
  }

  /** For a server whose repositories change while it runs: {@code registry} is asked on every call. */
  static Builder builder(Supplier<Registry> registry, Permissions permissions) {
    return new Builder(registry, permissions);
  }

  /** The checks in their order: readiness, each proxy's upstream (of the repositories now), the key, the rest. */
  private List<HealthCheck> checks() {
    List<HealthCheck> all = new ArrayList<>(readiness);
    for (Repository r : registry.get().repositories()) {
      if (r instanceof ProxyRepository p) {
        all.add(upstream(p));
      }
    }
    if (signingKey != null) {
      all.add(signingKey);
    }
    all.addAll(others);
    return all;
  }

  /** The process is up and answering. */
  boolean live() {
    return true;
  }

  /** Every blob store answers reads ({@code /v1/status}). */
  boolean readable() {
    return probes.stream().allMatch(p -> p.outcome().readable());
  }

  /** Every blob store takes writes ({@code /v1/status/writable}). */
  boolean writable() {
    return probes.stream().allMatch(p -> p.outcome().writable());
  }

  /**
   * Runs the readiness checks now (no cache), as {@code /health/ready} and the UI's status line do.
   * A check that fails takes the server out of service; the others ({@code /v1/status/check}) do not.
   *
   * @return ready when every readiness check passes, else the failing checks' names and messages
   */
  public Readiness readiness() {
    Map<String, String> failing = new LinkedHashMap<>();
    for (HealthCheck c : readiness) {
      HealthCheck.Result r = c.check();
      if (!r.healthy()) {
        failing.put(c.name(), r.message());
      }
    }
    return new Readiness(failing.isEmpty(), failing);
  }

  /**
   * Every named check and its result. Only for administrators of the whole server (they show
   * upstream errors and storage details).
   *
   * @throws ManagementException {@code UNAUTHENTICATED} / {@code FORBIDDEN}
   */
  Map<String, CheckResult> checks(Caller caller) {
    permissions.requireServerAdmin(caller, registry.get().repositories(), "the status checks");
    Map<String, CheckResult> out = new LinkedHashMap<>();
    for (HealthCheck c : checks()) {
      long t0 = System.nanoTime();
      HealthCheck.Result r;
      try {
        r = c.check();
      } catch (RuntimeException e) {
        r = HealthCheck.Result.unhealthy(e.getMessage(), null);
      }
      Instant now = clock.instant();
      out.put(c.name(), new CheckResult(r.healthy(), r.message(), null, r.details(), now.toEpochMilli(),
          Duration.ofNanos(System.nanoTime() - t0).toMillis(), now));
    }
    return out;
  }

  // ---------------------------------------------------------------- the checks

  private static HealthCheck writable(StorageProbe probe) {
    return check("Blob store " + probe.store() + " writable", () -> {
      StorageProbe.Outcome o = probe.outcome();
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("readable", o.readable());
      details.put("writable", o.writable());
      if (o.usableBytes() != null) {
        details.put("availableSpaceInBytes", o.usableBytes());
      }
      details.put("probedAt", o.at().toString());
      return o.writable() ? HealthCheck.Result.healthy(null, details)
          : HealthCheck.Result.unhealthy("blob store " + probe.store() + " is not writable: " + o.error(), details);
    });
  }

  /**
   * The readiness check "Blob store NAME free space": unhealthy while the store has less free than
   * its reserve ({@code blobStores.<name>.minFree}, or {@link StoreSpace}'s default), the state in
   * which it refuses uploads. A store whose driver cannot tell its free space (S3) passes. Costs
   * one free-space reading of the driver (a {@code statvfs} on a filesystem).
   */
  static HealthCheck freeSpace(StoreSpace space) {
    return check("Blob store " + space.store() + " free space", () -> {
      Map<String, Object> details = new LinkedHashMap<>();
      try {
        Optional<StorageDriver.Space> s = space.driver().space();
        if (s.isEmpty()) {
          return HealthCheck.Result.healthy("the store does not report its free space: no reserve applies", null);
        }
        long reserve = space.minFreeBytes();
        long free = s.get().freeBytes();
        details.put("availableSpaceInBytes", free);
        details.put("totalSpaceInBytes", s.get().totalBytes());
        details.put("reserveInBytes", reserve);
        if (free < reserve) {
          return HealthCheck.Result.unhealthy("blob store " + space.store() + " has " + Quota.format(free)
              + " free, below its reserve of " + Quota.format(reserve) + " (blobStores." + space.store()
              + ".minFree): uploads are refused; delete images and run garbage collection", details);
        }
        return HealthCheck.Result.healthy(Quota.format(free) + " free, reserve " + Quota.format(reserve), details);
      } catch (IOException | RuntimeException e) {
        return HealthCheck.Result.unhealthy("could not read the free space of blob store " + space.store() + ": " + e,
            details);
      }
    });
  }

  /** What the proxy already knows of its upstream (its auto-block): no network call of its own. */
  private static HealthCheck upstream(ProxyRepository proxy) {
    return check("Proxy " + proxy.name() + " upstream", () -> {
      UpstreamStatus s = proxy.status();
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("remoteUrl", proxy.remoteUrl().toString());
      details.put("blocked", s.blocked());
      details.put("blockedUntil", s.blockedUntil() == null ? null : s.blockedUntil().toString());
      details.put("consecutiveFailures", s.consecutiveFailures());
      details.put("lastError", s.lastError());
      if (s.blocked()) {
        return HealthCheck.Result.unhealthy("upstream " + proxy.remoteUrl() + " is auto-blocked until "
            + s.blockedUntil() + ": " + s.lastError(), details);
      }
      return HealthCheck.Result.healthy(s.consecutiveFailures() == 0 ? null
          : s.consecutiveFailures() + " recent failure(s): " + s.lastError(), details);
    });
  }

  private static HealthCheck signingKey(Supplier<Optional<String>> key) {
    return check("Token signing key", () -> {
      try {
        Optional<String> k = key.get();
        return HealthCheck.Result.healthy(k.map(d -> "signs and verifies tokens with the " + d)
            .orElse("no realm issues tokens"), null);
      } catch (IllegalStateException e) {
        return HealthCheck.Result.unhealthy(e.getMessage(), null);
      }
    });
  }

  private static HealthCheck check(String name, Supplier<HealthCheck.Result> body) {
    return new HealthCheck() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public HealthCheck.Result check() {
        return body.get();
      }
    };
  }

  // ---------------------------------------------------------------- building

  static final class Builder {
    private final Supplier<Registry> registry;
    private final Permissions permissions;
    private final List<StorageProbe> probes = new ArrayList<>();
    private final List<HealthCheck> readiness = new ArrayList<>();
    private final List<HealthCheck> others = new ArrayList<>();
    private Supplier<Optional<String>> signingKey;
    private Clock clock = Clock.systemUTC();
    private Duration probeTtl = Duration.ofSeconds(5);

    private Builder(Supplier<Registry> registry, Permissions permissions) {
      this.registry = Objects.requireNonNull(registry);
      this.permissions = Objects.requireNonNull(permissions);
    }

    /** The clock of the probe cache (tests move it); call before {@link #store}. */
    Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /** How long a storage probe's outcome is reused (default 5 s); call before {@link #store}. */
    Builder probeTtl(Duration ttl) {
      this.probeTtl = Objects.requireNonNull(ttl);
      return this;
    }

    /** A blob store to probe. */
    Builder store(String name, StorageDriver driver) {
      probes.add(new StorageProbe(name, driver, clock, probeTtl));
      return this;
    }

    /** One more check that must pass for the server to be ready (e.g. a free-space reserve). */
    Builder readiness(HealthCheck check) {
      readiness.add(Objects.requireNonNull(check));
      return this;
    }

    /** One more named check for {@code /v1/status/check} that does not decide readiness. */
    Builder check(HealthCheck check) {
      others.add(Objects.requireNonNull(check));
      return this;
    }

    /**
     * The token signing key's self-test: a description of the key, empty when no realm uses
     * tokens; throws {@link IllegalStateException} when it cannot sign.
     */
    Builder signingKey(Supplier<Optional<String>> selfTest) {
      this.signingKey = selfTest;
      return this;
    }

    HealthService build() {
      return new HealthService(this);
    }
  }
}
