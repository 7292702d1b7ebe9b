package io.wharf.server.sync;

import io.wharf.core.gc.GcLease;
import io.wharf.core.storage.StorageDriver;
import io.wharf.proxy.sync.SyncReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * How a run of a repository's rule (a pull rule's run, a push rule's reconcile) is held and kept:
 * one run per rule across the nodes sharing the storage (the rule's lease, {@link GcLease}), and
 * its report in the repository's storage under {@code _wharf/<kind>/<repository>/<rule>.json},
 * written when the run starts, with each renewal of the lease and when it ends, so that every node
 * answers alike and a restart keeps the last report.
 */
final class RuleRuns {
  private static final Logger LOG = LoggerFactory.getLogger(RuleRuns.class);
  private static final ObjectMapper JSON = JsonMapper.builder().build();

  private RuleRuns() {}

  /** The run itself, under the lease. */
  interface Body {
    /**
     * Runs to the end, filling the run's report.
     *
     * @return the final report
     * @throws IOException if the run cannot go on (it ends {@code FAILED} with why)
     */
    SyncReport.Snapshot run() throws IOException;
  }

  /**
   * Runs {@code body} under the rule's lease, storing {@code report} as it goes. A run that finds
   * the lease held ends {@code FAILED} naming the holder, and its report is not stored (the
   * holder's is); a body that throws ends the run {@code FAILED} with why.
   *
   * @param kind {@code sync} or {@code replication}, for the paths and log messages
   * @param repository the repository
   * @param rule the rule's name
   * @param storage the repository's storage, where the lease and the report are kept
   * @param node this node's owner id in the lease
   * @param ttl how long the lease holds without a renewal
   * @param settle how long to wait after writing the lease before reading it back
   * @param clock for the lease and the report
   * @param timer renews the lease every quarter of {@code ttl}; a lost lease interrupts the run
   * @param report the run's report, stored as it goes
   * @param body the run itself
   * @return the final report
   */
  static SyncReport.Snapshot underLease(String kind, String repository, String rule, StorageDriver storage,
      String node, Duration ttl, Duration settle, Clock clock, ScheduledExecutorService timer, SyncReport report,
      Body body) {
    String reportPath = path(kind, repository, rule, "json");
    SyncReport.Snapshot done;
    try (GcLease lease = GcLease.acquire(storage, path(kind, repository, rule, "lease"), node, ttl, settle, clock)) {
      Thread worker = Thread.currentThread();
      ScheduledFuture<?> renewal = timer.scheduleAtFixedRate(() -> {
        try {
          if (!lease.renew()) {
            worker.interrupt(); // another node took the rule over: stop here
          }
        } catch (IOException e) {
          LOG.warn("{} {}/{}: lease not renewed: {}", kind, repository, rule, e.getMessage());
        }
        store(storage, reportPath, report.snapshot());
      }, ttl.toMillis() / 4, ttl.toMillis() / 4, TimeUnit.MILLISECONDS);
      try {
        store(storage, reportPath, report.snapshot());
        done = body.run();
      } finally {
        renewal.cancel(false);
      }
    } catch (GcLease.HeldException held) {
      report.finished(clock.instant(), "another node runs this rule now"
          + held.holder().map(h -> " (" + h.owner() + ", lease until " + h.expires() + ")").orElse(""));
      return report.snapshot(); // the holder's report stays the stored one
    } catch (IOException | RuntimeException e) {
      if (!report.isDone()) {
        report.finished(clock.instant(), e.getMessage() == null ? e.toString() : e.getMessage());
      }
      done = report.snapshot();
      LOG.warn("{} {}/{} failed: {}", kind, repository, rule, done.error());
    }
    store(storage, reportPath, done);
    return done;
  }

  /**
   * Where a rule's report or lease is kept in its repository's storage.
   *
   * @param kind {@code sync} or {@code replication}
   * @param repository the repository
   * @param rule the rule's name
   * @param suffix {@code json} (the report) or {@code lease}
   * @return the storage path
   */
  static String path(String kind, String repository, String rule, String suffix) {
    return "/docker/registry/v2/_wharf/" + kind + "/" + repository + "/" + rule + "." + suffix;
  }

  /**
   * Writes a report; a failure is logged, not thrown (the run goes on).
   *
   * @param storage the repository's storage
   * @param path where ({@link #path})
   * @param report the report, written as JSON
   */
  static void store(StorageDriver storage, String path, Object report) {
    try {
      storage.putContent(path, JSON.writeValueAsString(report).getBytes(StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      LOG.warn("{}: report not stored: {}", path, e.toString());
    }
  }

  /**
   * The stored report, if one was written and can be read (a torn one or one of another version: none).
   *
   * @param storage the repository's storage
   * @param path where ({@link #path})
   * @param type the report's type
   * @param <T> the report's type
   * @return the report, or empty
   * @throws IOException if the storage cannot be read
   */
  static <T> Optional<T> read(StorageDriver storage, String path, Class<T> type) throws IOException {
    Optional<byte[]> bytes = storage.getContent(path);
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(bytes.get(), type));
    } catch (RuntimeException unreadable) {
      return Optional.empty();
    }
  }
}
