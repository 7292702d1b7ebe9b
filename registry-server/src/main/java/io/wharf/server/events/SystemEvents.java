package io.wharf.server.events;

import io.wharf.core.lifecycle.CleanupReport;
import io.wharf.core.lifecycle.EvictionReport;
import io.wharf.core.lifecycle.MaintenanceReport;
import io.wharf.core.quota.Quota;
import io.wharf.core.quota.QuotaExceededException;
import io.wharf.core.quota.QuotaListener;
import io.wharf.core.repository.Actor;
import io.wharf.proxy.UpstreamListener;
import io.wharf.proxy.UpstreamStatus;
import io.wharf.server.auth.RegistrySecurity;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The events that are not about an artifact, each built here with its fields (the one place that
 * knows them): repositories created, changed and deleted, users and roles changed through the
 * API, quota warnings and refusals, cleanup and garbage collection runs with what they removed,
 * proxy upstreams blocked and unblocked, failed logins and lockouts. It listens at the seams the
 * parts offer ({@link QuotaListener}, {@link UpstreamListener}, {@link RegistrySecurity.LoginObserver},
 * a maintenance report listener) and is called by the management services for their changes.
 *
 * <p>Events are stored before the call returns, as artifact events are. But the change they tell
 * of has happened by then (a repository created, a login refused, a collection done), so an
 * event that cannot be stored is logged as lost at ERROR and does not fail what caused it.
 */
public final class SystemEvents {
  private static final Logger LOG = LoggerFactory.getLogger(SystemEvents.class);
  /** Lockouts remembered (to tell each once); past this, expired ones are dropped. */
  private static final int LOCKOUTS_REMEMBERED = 10_000;

  private final EventSink sink;
  /** {@code user|address} of lockouts already told, to when they end: one event per lockout. */
  private final Map<String, Instant> lockouts = new ConcurrentHashMap<>();

  /**
   * Events that go to {@code sink}.
   *
   * @param sink the event bus; null: events are dropped
   */
  public SystemEvents(EventSink sink) {
    this.sink = sink == null ? EventSink.NONE : sink;
  }

  // ---------------------------------------------------------------- the management services

  /**
   * A repository was created ({@code change}: its settings changed; {@code delete}) through the API.
   *
   * @param action {@link Event.Action#REPOSITORY_CREATE}, {@code _CHANGE} or {@code _DELETE}
   * @param repository the repository's name
   * @param type its type: {@code hosted}, {@code proxy} or {@code group}
   * @param actor who did it
   */
  public void repository(Event.Action action, String repository, String type, Event.Actor actor) {
    Map<String, Object> d = new LinkedHashMap<>();
    put(d, "type", type);
    publish(action, repository, actor, d);
  }

  /**
   * A user was created, changed (names, status, roles, password) or deleted through the API.
   *
   * @param action {@link Event.Action#USER_CREATE}, {@code _CHANGE} or {@code _DELETE}
   * @param user the user's name
   * @param roles its roles
   * @param passwordChanged whether its password was set or changed (never the password)
   * @param actor who did it
   */
  public void user(Event.Action action, String user, List<String> roles, boolean passwordChanged, Event.Actor actor) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("user", user);
    put(d, "roles", roles);
    if (passwordChanged) {
      d.put("passwordChanged", true);
    }
    publish(action, null, actor, d);
  }

  /**
   * A role was created, changed or deleted through the API.
   *
   * @param action {@link Event.Action#ROLE_CREATE}, {@code _CHANGE} or {@code _DELETE}
   * @param role the role's name
   * @param privileges its privileges now
   * @param roles the roles it contains now
   * @param actor who did it
   */
  public void role(Event.Action action, String role, List<String> privileges, List<String> roles, Event.Actor actor) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("role", role);
    put(d, "privileges", privileges);
    put(d, "roles", roles);
    publish(action, null, actor, d);
  }

  // ---------------------------------------------------------------- the seams

  /**
   * Quota warnings and refusals of hosted repositories, with the pushing request's actor.
   *
   * @return the listener to give the hosted repositories
   */
  public QuotaListener quotas() {
    return new QuotaListener() {
      @Override
      public void softLimitPassed(String repository, long usedBytes, Quota quota) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("usedBytes", usedBytes);
        d.put("softLimitBytes", quota.softBytes());
        if (quota.hasHard()) {
          d.put("hardLimitBytes", quota.hardBytes());
        }
        publish(Event.Action.QUOTA_WARN, repository, requestActor(), d);
      }

      @Override
      public void refused(String repository, QuotaExceededException refusal) {
        Map<String, Object> d = new LinkedHashMap<>();
        if (refusal.detail() instanceof Map<?, ?> m) {
          m.forEach((k, v) -> {
            if (!"repository".equals(k)) {
              put(d, String.valueOf(k), v);
            }
          });
        }
        d.put("message", refusal.getMessage());
        publish(Event.Action.QUOTA_EXCEED, repository, requestActor(), d);
      }
    };
  }

  /**
   * Proxy upstreams auto-blocked and unblocked (no actor: the upstream did it).
   *
   * @return the listener to give the proxy repositories
   */
  public UpstreamListener upstreams() {
    return new UpstreamListener() {
      @Override
      public void blocked(String repository, String upstream, UpstreamStatus status) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("upstream", upstream);
        put(d, "blockedUntil", status.blockedUntil() == null ? null : status.blockedUntil().toString());
        d.put("consecutiveFailures", status.consecutiveFailures());
        put(d, "lastError", status.lastError());
        publish(Event.Action.PROXY_BLOCK, repository, null, d);
      }

      @Override
      public void unblocked(String repository, String upstream) {
        publish(Event.Action.PROXY_UNBLOCK, repository, null, Map.of("upstream", upstream));
      }
    };
  }

  /**
   * Failed logins and lockouts, besides {@code also} (the metrics'). The actor is the user name
   * the client gave (null if none) and its address; a lockout is told once, when the first login
   * is refused for it, not for every refused attempt while it lasts.
   *
   * @param also an observer told as well; null: none
   * @return the observer to give {@link RegistrySecurity#observeLogins}
   */
  public RegistrySecurity.LoginObserver logins(RegistrySecurity.LoginObserver also) {
    RegistrySecurity.LoginObserver next = also == null ? RegistrySecurity.LoginObserver.NONE : also;
    return new RegistrySecurity.LoginObserver() {
      @Override
      public void failed(String via, String user, String address) {
        next.failed(via, user, address);
        publish(Event.Action.LOGIN_FAIL, null, new Event.Actor(user, address, null), via(via, user));
      }

      @Override
      public void lockedOut(String via, String user, String address, long retryAfterSeconds) {
        next.lockedOut(via, user, address, retryAfterSeconds);
        Instant now = sink.now();
        String key = user + "|" + address;
        Instant until = now.plusSeconds(retryAfterSeconds);
        Instant told = lockouts.get(key);
        if (told != null && told.isAfter(now)) {
          return;
        }
        if (lockouts.size() >= LOCKOUTS_REMEMBERED) {
          lockouts.values().removeIf(t -> !t.isAfter(now));
        }
        lockouts.put(key, until);
        Map<String, Object> d = via(via, user);
        d.put("lockedUntil", until.toString());
        publish(Event.Action.LOGIN_LOCKOUT, null, new Event.Actor(user, address, null), d);
      }
    };
  }

  /**
   * A blob store's maintenance runs: a {@code cleanup.complete} per repository step (cleanup
   * policy or cache limits) with what it removed, then a {@code gc.complete} with the collection's
   * numbers, or the error that stopped the run. Dry runs and skipped runs removed nothing: no events.
   *
   * @return the consumer of each run's report
   */
  public Consumer<MaintenanceReport> maintenance() {
    return report -> {
      if (report.dryRun() || report.skipped() != null) {
        return;
      }
      for (MaintenanceReport.StepReport step : report.steps()) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("store", report.store());
        d.put("step", step.name());
        if (step.report() instanceof CleanupReport c) {
          d.put("tagsDeleted", c.tagsDeleted());
          d.put("manifestsRemoved", c.manifestsRemoved());
        } else if (step.report() instanceof EvictionReport e) {
          d.put("tagsDeleted", e.tagsRemoved());
          d.put("manifestsRemoved", e.manifestsRemoved());
          d.put("bytesFreed", e.bytesFreed());
        } else {
          d.put("summary", step.summary());
        }
        d.put("removed", step.sample());
        d.put("durationMillis", step.duration().toMillis());
        publish(Event.Action.CLEANUP_COMPLETE, step.repository(), null, d);
      }
      if (report.gc() == null && report.error() == null) {
        return; // collection off for this store, and nothing went wrong
      }
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("store", report.store());
      d.put("succeeded", report.error() == null);
      put(d, "error", report.error());
      if (report.gc() != null) {
        d.put("blobsDeleted", report.gc().blobsDeleted());
        d.put("bytesDeleted", report.gc().bytesDeleted());
        d.put("manifestsUntagged", report.gc().manifestsUntagged());
        d.put("uploadsPurged", report.gc().uploadsPurged());
        d.put("removed", report.gc().deletedSample());
      }
      d.put("durationMillis", report.duration().toMillis());
      publish(Event.Action.GC_COMPLETE, null, null, d);
    };
  }

  /**
   * A pull rule's run ended ({@code docs/sync.md}): a {@code sync.complete} of the repository
   * with the run's numbers, its state and the images that failed, with why.
   *
   * @return the observer to give the sync service
   */
  public io.wharf.server.sync.SyncService.Observer sync() {
    return (repository, report) -> publish(Event.Action.SYNC_COMPLETE, repository,
        new Event.Actor("sync:" + report.rule(), null, null), runDetails(report));
  }

  /**
   * A push rule's reconcile ended ({@code docs/sync.md}): a {@code replication.complete} of the
   * repository with the numbers of a {@code sync.complete}, and the tags deleted at the remote
   * ({@code deletes: true}).
   *
   * @return the observer to give the replication service
   */
  public io.wharf.server.sync.ReplicationService.Observer replication() {
    return (repository, report) -> {
      Map<String, Object> d = runDetails(report);
      d.put("tagsDeleted", report.tagsDeleted());
      publish(Event.Action.REPLICATION_COMPLETE, repository,
          new Event.Actor("replication:" + report.rule(), null, null), d);
    };
  }

  private static Map<String, Object> runDetails(io.wharf.proxy.sync.SyncReport.Snapshot report) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("rule", report.rule());
    d.put("state", report.state().name().toLowerCase(java.util.Locale.ROOT));
    put(d, "error", report.error());
    d.put("imagesCopied", report.imagesCopied());
    d.put("imagesSkipped", report.imagesSkipped());
    d.put("imagesFailed", report.imagesFailed());
    d.put("bytesCopied", report.bytesCopied());
    d.put("failures", report.failures());
    if (report.finished() != null) {
      d.put("durationMillis", java.time.Duration.between(report.started(), report.finished()).toMillis());
    }
    return d;
  }

  // ---------------------------------------------------------------- internals

  private static Map<String, Object> via(String via, String user) {
    Map<String, Object> d = new LinkedHashMap<>();
    put(d, "user", user);
    d.put("via", via);
    return d;
  }

  /** The actor of the request this thread serves (a push), as the registry servlet recorded it. */
  private static Event.Actor requestActor() {
    return new Event.Actor(Actor.current(), Actor.address(), Actor.userAgent());
  }

  private void publish(Event.Action action, String repository, Event.Actor actor, Map<String, Object> details) {
    Objects.requireNonNull(action);
    if (!sink.wants(action)) {
      return;
    }
    Event e = Event.about(action, repository, actor, null, details, sink.node(), sink.now());
    try {
      sink.publish(e);
    } catch (RuntimeException failure) {
      LOG.error("event {} ({}{}) could not be stored and is lost: {}", e.id(), action.wire(),
          repository == null ? "" : " of " + repository, failure.toString());
    }
  }

  private static void put(Map<String, Object> m, String key, Object value) {
    if (value != null) {
      m.put(key, value);
    }
  }
}
