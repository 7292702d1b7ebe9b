package io.wharf.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jetty.JettyConnectionMetrics;
import io.micrometer.core.instrument.binder.jetty.JettyServerThreadPoolMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wharf.core.lifecycle.MaintenanceReport;
import io.wharf.proxy.ProxyMetrics;
import io.wharf.server.auth.RegistrySecurity;
import io.wharf.server.events.EventBus;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import org.eclipse.jetty.server.Server;

/**
 * The server's metrics, in the names of CNCF distribution's {@code registry_*} where it has one
 * (requests, proxy), Wharf's own under the same prefix where it has none (uploads, GC, logins),
 * plus the JVM's ({@code jvm_*}, {@code process_*}, {@code system_*}) and Jetty's
 * ({@code jetty_threads_*}, {@code jetty_connections_*}) from Micrometer's binders. One registry
 * per server, never Micrometer's global one, so two servers in one JVM (tests, embedders) keep
 * their counts apart.
 *
 * <p>The parts of the server report through small interfaces of their own modules
 * ({@link ProxyMetrics}, {@link RegistrySecurity.LoginObserver}, a maintenance report listener),
 * so none of them depends on Micrometer.
 */
public final class WharfMetrics implements AutoCloseable {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final RequestMetrics requests = new RequestMetrics(registry, registry.getPrometheusRegistry());
  private final JvmGcMetrics gc = new JvmGcMetrics();

  /**
   * The server's meters, in a Prometheus registry of their own, with the JVM's and the process's
   * meters bound: memory, GC, threads, class loading, processor, uptime, file descriptors.
   */
  public WharfMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
  }

  /**
   * Jetty's thread pool and, per connector, its connections and bytes; call before the server starts.
   *
   * @param jetty the server, not yet started
   */
  public void bind(Server jetty) {
    new JettyServerThreadPoolMetrics(jetty.getThreadPool(), Tags.empty()).bindTo(registry);
    JettyConnectionMetrics.addToAllConnectors(jetty, registry);
  }

  /**
   * The registry of all meters, for parts that add their own.
   *
   * @return the registry
   */
  public MeterRegistry registry() {
    return registry;
  }

  /**
   * The HTTP request meters, whose {@link RequestMetrics#handler()} measures the main port.
   *
   * @return the request metrics
   */
  public RequestMetrics requests() {
    return requests;
  }

  /**
   * The webhooks' metrics, in distribution's {@code registry_notifications_*} family:
   * {@code registry_notifications_pending{endpoint}} (events waiting) and
   * {@code registry_notifications_pending_limit{endpoint}} (where the queue is full),
   * {@code registry_notifications_events_total{endpoint,outcome=delivered|dead}} and
   * {@code registry_notifications_failed_attempts_total{endpoint}}.
   *
   * @param bus the event bus, whose endpoints are followed as they come and go
   */
  public void events(EventBus bus) {
    // endpoints come and go through the API: their meters with them
    java.util.Map<String, java.util.List<io.micrometer.core.instrument.Meter>> meters =
        new java.util.concurrent.ConcurrentHashMap<>();
    Consumer<String> add = name -> meters.computeIfAbsent(name, n -> endpointMeters(bus, n));
    bus.endpoints().forEach(w -> add.accept(w.name()));
    bus.listen(new EventBus.EndpointListener() {
      @Override
      public void added(String endpoint) {
        add.accept(endpoint);
      }

      @Override
      public void removed(String endpoint) {
        java.util.List<io.micrometer.core.instrument.Meter> gone = meters.remove(endpoint);
        if (gone != null) {
          gone.forEach(registry::remove);
        }
      }
    });
  }

  private java.util.List<io.micrometer.core.instrument.Meter> endpointMeters(EventBus bus, String name) {
    // an endpoint removed between a scrape's listing and its reading shows NaN, not an error
    java.util.function.ToDoubleFunction<EventBus> pending = b -> b.endpoint(name).isPresent() ? b.pending(name)
        : Double.NaN;
    java.util.function.IntFunction<java.util.function.ToDoubleFunction<EventBus>> count =
        i -> b -> b.endpoint(name).isPresent() ? b.counts(name)[i] : 0;
    return java.util.List.of(
        Gauge.builder("registry.notifications.pending", bus, pending)
            .description("Events waiting for delivery").tag("endpoint", name).register(registry),
        Gauge.builder("registry.notifications.pending.limit", bus, EventBus::maxPending)
            .description("Events that may wait before new ones go to the dead letters").tag("endpoint", name)
            .register(registry),
        FunctionCounter.builder("registry.notifications.events", bus, count.apply(0))
            .description("Events delivered or given up on").tags("endpoint", name, "outcome", "delivered")
            .register(registry),
        FunctionCounter.builder("registry.notifications.events", bus, count.apply(2))
            .description("Events delivered or given up on").tags("endpoint", name, "outcome", "dead")
            .register(registry),
        FunctionCounter.builder("registry.notifications.failed.attempts", bus, count.apply(1))
            .description("Delivery attempts that failed (retried)").tag("endpoint", name).register(registry));
  }

  /** The text exposition Prometheus scrapes. */
  String scrape() {
    return registry.scrape();
  }

  /**
   * The counters of one proxy repository: {@code registry_proxy_{requests,hits,misses}_total} and
   * {@code registry_proxy_pulled_bytes_total}, each by {@code repository} and {@code type}
   * (manifest or blob), created at once so that every proxy shows from the first scrape.
   *
   * @param repository the proxy repository's name
   * @return the listener to give the repository
   */
  public ProxyMetrics proxy(String repository) {
    Counter[][] c = new Counter[4][ProxyMetrics.Kind.values().length];
    String[] names = {"registry.proxy.requests", "registry.proxy.hits", "registry.proxy.misses",
        "registry.proxy.pulled.bytes"};
    String[] help = {"Manifest and blob requests to a proxy repository", "Requests answered from the cache",
        "Requests that needed content from upstream", "Bytes pulled from upstream"};
    for (int i = 0; i < names.length; i++) {
      for (ProxyMetrics.Kind k : ProxyMetrics.Kind.values()) {
        c[i][k.ordinal()] = Counter.builder(names[i]).description(help[i]).tag("repository", repository)
            .tag("type", k.name().toLowerCase(Locale.ROOT)).register(registry);
      }
    }
    return new ProxyMetrics() {
      @Override
      public void request(Kind kind) {
        c[0][kind.ordinal()].increment();
      }

      @Override
      public void hit(Kind kind) {
        c[1][kind.ordinal()].increment();
      }

      @Override
      public void miss(Kind kind) {
        c[2][kind.ordinal()].increment();
      }

      @Override
      public void pulled(Kind kind, long bytes) {
        c[3][kind.ordinal()].increment(bytes);
      }
    };
  }

  /**
   * A proxy repository's counters since the server started, manifests and blobs together.
   *
   * @param requests the requests it answered
   * @param hits those answered from its cache
   * @param misses those it asked its upstream for
   * @param pulledBytes the bytes it pulled from its upstream
   */
  public record ProxyCounts(long requests, long hits, long misses, long pulledBytes) {
    /**
     * Hits over hits and misses; null before the first of either.
     *
     * @return a ratio from 0 to 1, or null
     */
    public Double hitRatio() {
      return hits + misses == 0 ? null : (double) hits / (hits + misses);
    }
  }

  /**
   * What {@link #proxy} counted for {@code repository} so far (zeros for a repository it never saw).
   *
   * @param repository the proxy repository's name
   * @return the counts
   */
  public ProxyCounts proxyCounts(String repository) {
    return new ProxyCounts(sum("registry.proxy.requests", repository), sum("registry.proxy.hits", repository),
        sum("registry.proxy.misses", repository), sum("registry.proxy.pulled.bytes", repository));
  }

  private long sum(String name, String repository) {
    double total = 0;
    for (Counter c : registry.find(name).tag("repository", repository).counters()) {
      total += c.count();
    }
    return (long) total;
  }

  /**
   * {@code registry_auth_login_failures_total{via}} and {@code registry_auth_lockouts_total{via}}.
   *
   * @return the observer to give {@link RegistrySecurity#observeLogins}
   */
  public RegistrySecurity.LoginObserver logins() {
    return new RegistrySecurity.LoginObserver() {
      @Override
      public void failed(String via) {
        registry.counter("registry.auth.login.failures", "via", via).increment();
      }

      @Override
      public void lockedOut(String via) {
        registry.counter("registry.auth.lockouts", "via", via).increment();
      }
    };
  }

  /**
   * Counts maintenance runs by store and outcome ({@code registry_maintenance_runs_total}), and
   * for runs that changed storage, the garbage collection's work: {@code registry_gc_runs_total},
   * {@code registry_gc_deleted_blobs_total} and {@code registry_gc_reclaimed_bytes_total} by store.
   *
   * @return the consumer of each run's report
   */
  public Consumer<MaintenanceReport> maintenance() {
    return report -> {
      String outcome = report.skipped() != null ? "skipped" : report.error() != null ? "failed" : "succeeded";
      registry.counter("registry.maintenance.runs", "store", report.store(), "outcome", outcome,
          "dry_run", String.valueOf(report.dryRun())).increment();
      if (report.gc() != null && !report.dryRun()) {
        registry.counter("registry.gc.runs", "store", report.store()).increment();
        registry.counter("registry.gc.deleted.blobs", "store", report.store()).increment(report.gc().blobsDeleted());
        registry.counter("registry.gc.reclaimed.bytes", "store", report.store()).increment(report.gc().bytesDeleted());
      }
    };
  }

  /**
   * Pull rule runs ({@code docs/sync.md}): {@code registry_sync_runs_total{repository,rule,outcome}}
   * ({@code succeeded}, {@code partial}, {@code failed}), {@code registry_sync_images_total} by
   * {@code outcome} ({@code copied}, {@code skipped}, {@code failed}),
   * {@code registry_sync_copied_bytes_total}, and {@code registry_sync_last_success_timestamp_seconds}
   * (when a run of the rule last ended without failures).
   *
   * @return the observer to give the sync service
   */
  public io.wharf.server.sync.SyncService.Observer sync() {
    RunCounter runs = runs("sync");
    return runs::count;
  }

  /**
   * Push rule reconciles ({@code docs/sync.md}), as {@link #sync()} counts pull rules:
   * {@code registry_replication_runs_total}, {@code registry_replication_images_total},
   * {@code registry_replication_copied_bytes_total}, {@code registry_replication_last_success_timestamp_seconds};
   * and {@code registry_replication_deleted_tags_total} (tags deleted at the remote), and the copies
   * on push, {@code registry_replication_pushes_total{repository,rule,outcome}} ({@code copied},
   * {@code skipped}: the remote had it, {@code failed}).
   *
   * @return the observer to give the replication service
   */
  public io.wharf.server.sync.ReplicationService.Observer replication() {
    RunCounter runs = runs("replication");
    return new io.wharf.server.sync.ReplicationService.Observer() {
      @Override
      public void finished(String repository, io.wharf.proxy.sync.SyncReport.Snapshot report) {
        runs.count(repository, report);
        registry.counter("registry.replication.deleted.tags", "repository", repository, "rule", report.rule())
            .increment(report.tagsDeleted());
      }

      @Override
      public void pushed(String repository, String rule, String outcome) {
        registry.counter("registry.replication.pushes", "repository", repository, "rule", rule, "outcome", outcome)
            .increment();
      }
    };
  }

  /** Counts one finished run of a rule. */
  private interface RunCounter {
    void count(String repository, io.wharf.proxy.sync.SyncReport.Snapshot report);
  }

  /** The run metrics of pull ({@code sync}) and push ({@code replication}) rules. */
  private RunCounter runs(String kind) {
    java.util.Map<String, java.util.concurrent.atomic.AtomicLong> lastSuccess = new java.util.concurrent.ConcurrentHashMap<>();
    return (repository, report) -> {
      String rule = report.rule();
      String outcome = report.state().name().toLowerCase(java.util.Locale.ROOT);
      registry.counter("registry." + kind + ".runs", "repository", repository, "rule", rule, "outcome", outcome)
          .increment();
      registry.counter("registry." + kind + ".images", "repository", repository, "rule", rule, "outcome", "copied")
          .increment(report.imagesCopied());
      registry.counter("registry." + kind + ".images", "repository", repository, "rule", rule, "outcome", "skipped")
          .increment(report.imagesSkipped());
      registry.counter("registry." + kind + ".images", "repository", repository, "rule", rule, "outcome", "failed")
          .increment(report.imagesFailed());
      registry.counter("registry." + kind + ".copied.bytes", "repository", repository, "rule", rule)
          .increment(report.bytesCopied());
      if (report.state() == io.wharf.proxy.sync.SyncReport.State.SUCCEEDED && report.finished() != null) {
        lastSuccess.computeIfAbsent(repository + "/" + rule, k -> registry.gauge(
            "registry." + kind + ".last.success.timestamp.seconds",
            io.micrometer.core.instrument.Tags.of("repository", repository, "rule", rule),
            new java.util.concurrent.atomic.AtomicLong())).set(report.finished().getEpochSecond());
      }
    };
  }

  /**
   * {@code registry_storage_blobs{store}}, {@code registry_storage_bytes{store}} and
   * {@code registry_storage_free_bytes{store}}: read when scraped (the blob count is cached by its
   * source, see the management plane's blob stores); NaN while a value cannot be read.
   *
   * @param store the blob store's name
   * @param blobs its blob count
   * @param bytes the bytes its blobs take
   * @param freeBytes the free bytes where it stores
   */
  public void storage(String store, DoubleSupplier blobs, DoubleSupplier bytes, DoubleSupplier freeBytes) {
    gauge("registry.storage.blobs", "Blobs in the blob store (counted at most once a minute)", "store", store, blobs);
    gauge("registry.storage.bytes", "Bytes of the blobs in the blob store (counted at most once a minute)", "store",
        store, bytes);
    gauge("registry.storage.free.bytes", "Free space of the blob store, where its driver reports one", "store", store,
        freeBytes);
  }

  /**
   * {@code registry_repository_storage_bytes{repository}}: the distinct blobs a repository links
   * (a proxy's cache; a hosted repository with a quota), read when scraped from the repository's
   * own periodic scan.
   *
   * @param repository the repository's name
   * @param bytes the bytes its distinct blobs take
   */
  public void repositoryStorage(String repository, DoubleSupplier bytes) {
    gauge("registry.repository.storage.bytes", "Bytes of the distinct blobs a repository links", "repository",
        repository, bytes);
  }

  private void gauge(String name, String help, String tag, String value, DoubleSupplier f) {
    Gauge.builder(name, () -> {
      try {
        return f.getAsDouble();
      } catch (RuntimeException e) {
        return Double.NaN;
      }
    }).description(help).tag(tag, value).register(registry);
  }

  /**
   * Pre-creates the store's GC counters, so a dashboard shows zero rather than nothing before the first run.
   *
   * @param store the blob store's name
   */
  public void store(String store) {
    registry.counter("registry.gc.runs", "store", store);
    registry.counter("registry.gc.deleted.blobs", "store", store);
    registry.counter("registry.gc.reclaimed.bytes", "store", store);
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
