package io.wharf.server.admin;

import io.wharf.core.lifecycle.MaintenanceJob;
import io.wharf.core.lifecycle.MaintenanceReport;
import io.wharf.core.lifecycle.MaintenanceScheduler;
import io.wharf.core.repository.Repository;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The blob stores' maintenance jobs as Nexus's tasks ({@code /v1/tasks}). Wharf runs one job per
 * blob store: the cleanup policies of its hosted repositories, the cache limits of its proxies,
 * then a garbage collection that also purges stale uploads, all under the store's lease. Each of
 * those parts that a store's job has is one task, with Nexus's type where Nexus has one:
 *
 * <pre>
 * id                     type                              what
 * STORE.cleanup          repository.cleanup                the cleanup policies of the store's hosted repositories
 * STORE.cache-eviction   wharf.proxy.cache-eviction        the cache limits of the store's proxies (Wharf's own)
 * STORE.gc               repository.docker.gc              garbage collection
 * STORE.upload-purge     repository.docker.upload-purge    stale uploads, purged by that collection
 * </pre>
 *
 * <p>The parts of a store are one run: running any of its tasks runs the store's whole job (as
 * its schedule does), so the tasks of one store share their state, last run and next run; the
 * {@code message} says so. Stopping one stops that run before its next step ({@link
 * MaintenanceJob#stop()}); a step or a collection under way completes first.
 *
 * <p>{@code lastRunResult}: {@code OK}, {@code FAILED}, {@code CANCELED} (stopped), or
 * {@code SKIPPED} (another node held the store's lease and ran it). Administrators only.
 */
public final class TaskService {

  /** One part of a store's maintenance. */
  enum Part {
    CLEANUP("cleanup", "repository.cleanup", "Cleanup policies"),
    CACHE_EVICTION("cache-eviction", "wharf.proxy.cache-eviction", "Proxy cache eviction"),
    GC("gc", "repository.docker.gc", "Docker garbage collection"),
    UPLOAD_PURGE("upload-purge", "repository.docker.upload-purge", "Purge stale Docker uploads");

    final String id;
    final String type;
    final String title;

    Part(String id, String type, String title) {
      this.id = id;
      this.type = type;
      this.title = title;
    }
  }

  /**
   * Which parts a store's job has, and the repositories they concern (for cleanup and eviction).
   */
  record Parts(Map<Part, List<String>> repositories) {}

  /**
   * Wharf's additions to a task.
   *
   * @param store the blob store whose job this is part of
   * @param repositories the repositories this part concerns (cleanup, eviction)
   * @param schedule the job's schedule; null: on demand only
   * @param runsWith the other parts of the same run
   * @param lastRunDryRun whether the last run changed nothing
   * @param lastReport the last run's report, as the log has it
   */
  public record WharfTask(String store, List<String> repositories, String schedule, List<String> runsWith,
      Boolean lastRunDryRun, String lastReport) {}

  /**
   * A task in Nexus's shape.
   *
   * @param id {@code STORE.PART}, e.g. {@code default.gc}
   * @param name the part's title and its store, for people
   * @param type Nexus's task type where Nexus has one, else Wharf's ({@code wharf.proxy.cache-eviction})
   * @param message that it is part of its store's job and which tasks run with it; the last run's
   *     error when that run failed
   * @param currentState {@code WAITING} or {@code RUNNING}
   * @param lastRunResult {@code OK}, {@code FAILED}, {@code CANCELED} or {@code SKIPPED}; null: never ran
   * @param nextRun when the schedule runs it next; null: on demand only
   * @param lastRun when the last run started; null: never ran
   * @param wharf Wharf's additions
   */
  public record Task(String id, String name, String type, String message, String currentState,
      String lastRunResult, Instant nextRun, Instant lastRun, WharfTask wharf) {}

  /**
   * {@code GET /v1/tasks}: Nexus lists tasks unpaged.
   *
   * @param items the tasks
   * @param continuationToken always null
   */
  public record Page(List<Task> items, String continuationToken) {}

  private final MaintenanceScheduler scheduler;
  private final Map<String, Parts> parts;
  private final Permissions permissions;
  private final Supplier<? extends Iterable<Repository>> repositories;

  /**
   * @param scheduler null: no maintenance (an embedder's registry): no tasks
   * @param parts per store, the cleanup and eviction parts; collection and purge come from the job
   */
  TaskService(MaintenanceScheduler scheduler, Map<String, Parts> parts, Permissions permissions,
      Supplier<? extends Iterable<Repository>> repositories) {
    this.scheduler = scheduler;
    this.parts = Map.copyOf(parts);
    this.permissions = Objects.requireNonNull(permissions);
    this.repositories = Objects.requireNonNull(repositories);
  }

  /**
   * Every task, or those of one Nexus type, as {@code GET /v1/tasks} lists them.
   *
   * @param caller must hold the admin privilege on every repository
   * @param type a Nexus task type ({@code repository.docker.gc}, ...); null for every task
   * @return the tasks, unpaged (a null continuation token), store by store; empty for an unknown
   *     type or a server without maintenance
   * @throws ManagementException {@code UNAUTHENTICATED} or {@code FORBIDDEN} for a caller who is no administrator
   */
  public Page list(Caller caller, String type) {
    requireAdmin(caller);
    List<Task> out = new ArrayList<>();
    for (Task t : all()) {
      if (type == null || type.equals(t.type())) {
        out.add(t);
      }
    }
    return new Page(out, null);
  }

  Task get(Caller caller, String id) {
    requireAdmin(caller);
    return all().stream().filter(t -> t.id().equals(id)).findFirst()
        .orElseThrow(() -> new ManagementException(ManagementException.Reason.NOT_FOUND, "no task with id " + id));
  }

  /**
   * Starts the run of the task's store now (Nexus: 204), without waiting for it.
   *
   * @param caller must hold the admin privilege on every repository
   * @param id the task's id ({@code STORE.gc}, ...)
   * @throws ManagementException {@code INTERNAL} (500, as Nexus answers) if it runs already;
   *     {@code NOT_FOUND} for an unknown id; {@code UNAUTHENTICATED} or {@code FORBIDDEN} for a
   *     caller who is no administrator
   */
  public void run(Caller caller, String id) {
    Task t = get(caller, id);
    String store = t.wharf().store();
    // The scheduler's own lock: no other run can start between the check and the start.
    synchronized (scheduler) {
      if (scheduler.running(store)) {
        throw new ManagementException(ManagementException.Reason.INTERNAL,
            "task " + id + " is already running (the maintenance of blob store " + store + ")");
      }
      scheduler.runNow(store, false);
    }
  }

  /**
   * Asks the run of the task's store to stop before its next step (Nexus: 204).
   *
   * @throws ManagementException {@code CONFLICT} (409, as Nexus answers) if it is not running
   */
  void stop(Caller caller, String id) {
    Task t = get(caller, id);
    if (!scheduler.stop(t.wharf().store())) {
      throw new ManagementException(ManagementException.Reason.CONFLICT, "task " + id + " is not running");
    }
  }

  private void requireAdmin(Caller caller) {
    permissions.requireServerAdmin(caller, repositories.get(), "the tasks");
  }

  private List<Task> all() {
    List<Task> out = new ArrayList<>();
    if (scheduler == null) {
      return out;
    }
    for (MaintenanceScheduler.Status s : scheduler.status()) {
      MaintenanceJob job = scheduler.job(s.store()).orElseThrow();
      Map<Part, List<String>> mine = new java.util.EnumMap<>(Part.class);
      Parts declared = parts.get(s.store());
      if (declared != null) {
        mine.putAll(declared.repositories());
      }
      if (job.collects()) {
        mine.put(Part.GC, List.of());
      }
      if (job.purgesUploadsAfter() != null) {
        mine.put(Part.UPLOAD_PURGE, List.of());
      }
      List<String> ids = mine.keySet().stream().map(p -> id(s.store(), p)).toList();
      MaintenanceReport last = s.last();
      for (Map.Entry<Part, List<String>> e : mine.entrySet()) {
        Part p = e.getKey();
        String id = id(s.store(), p);
        List<String> others = ids.stream().filter(o -> !o.equals(id)).toList();
        String message = last != null && last.error() != null ? last.error()
            : "part of the maintenance of blob store " + s.store()
                + (others.isEmpty() ? "" : "; runs together with " + String.join(", ", others));
        out.add(new Task(id, p.title + " of blob store " + s.store(), p.type, message,
            s.running() ? "RUNNING" : "WAITING", result(last), s.schedule() == null ? null : s.next(),
            last == null ? null : last.started(),
            new WharfTask(s.store(), e.getValue(), s.schedule(), others, last == null ? null : last.dryRun(),
                last == null ? null : last.toString())));
      }
    }
    return out;
  }

  private static String id(String store, Part p) {
    return store + "." + p.id;
  }

  private static String result(MaintenanceReport last) {
    if (last == null) {
      return null;
    }
    if (last.skipped() != null) {
      return "SKIPPED";
    }
    if (last.stopped()) {
      return "CANCELED";
    }
    return last.error() == null ? "OK" : "FAILED";
  }
}
