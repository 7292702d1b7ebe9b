package io.wharf.server.admin;

import io.wharf.core.repository.Repository;
import io.wharf.server.auth.Action;
import io.wharf.server.events.AuditLog;
import io.wharf.server.events.Event;
import io.wharf.server.events.EventBus;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Who may read which part of the audit trail, and the reading: the one rule behind
 * {@code GET /wharf/api/v1/events} and the web UI's "recent activity". A caller sees the events of
 * a repository it administers ({@code <repository>:admin}); events of no repository (logins,
 * users, roles, a blob store's collection) or of a repository gone only if it administers every
 * repository.
 */
public final class AuditTrail {
  private final EventBus events;
  private final Permissions permissions;
  private final Function<String, java.util.Optional<Repository>> repository;
  private final Supplier<? extends Iterable<Repository>> all;

  /**
   * @param events null: no events are kept (every page is empty)
   * @param repository a running repository by name
   * @param all every running repository
   */
  AuditTrail(EventBus events, Permissions permissions,
      Function<String, java.util.Optional<Repository>> repository, Supplier<? extends Iterable<Repository>> all) {
    this.events = events;
    this.permissions = Objects.requireNonNull(permissions);
    this.repository = Objects.requireNonNull(repository);
    this.all = Objects.requireNonNull(all);
  }

  /**
   * Whether there is an audit trail at all; the UI leaves out "recent activity" when not.
   *
   * @return true when events are configured and {@code events.audit.enabled} is true
   */
  public boolean kept() {
    return events != null && events.audit().isPresent();
  }

  /**
   * Whether {@code caller} may see the events of one repository: it administers the repository,
   * or, for events of no repository or of a repository that is gone, every repository.
   *
   * @param caller who reads
   * @param repositoryName the events' repository; null for events of no repository
   * @return true when the caller may see them
   */
  public boolean mayAudit(Caller caller, String repositoryName) {
    java.util.Optional<Repository> r = repositoryName == null ? java.util.Optional.empty()
        : repository.apply(repositoryName);
    if (r.isPresent()) {
      return permissions.may(caller, r.get(), Action.ADMIN);
    }
    for (Repository each : all.get()) {
      if (!permissions.may(caller, each, Action.ADMIN)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The events matching {@code q} that {@code caller} may see and {@code also} lets through,
   * newest first, at most {@code limit}.
   *
   * @param caller who reads; events it may not see ({@link #mayAudit}) are skipped, not refused
   * @param q the filters of the request (repository, image, action, actor, time range)
   * @param also a further filter of the face (e.g. the UI's kinds of activity)
   * @param limit the page size
   * @param after the previous page's continuation token, or null
   * @return a page with the next page's token (null on the last); an empty page when no trail is
   *     {@link #kept()}
   * @throws java.io.UncheckedIOException when the trail's storage cannot be read
   */
  public AuditLog.Page query(Caller caller, AuditLog.Query q, Predicate<Event> also, int limit, String after) {
    if (!kept()) {
      return new AuditLog.Page(List.of(), null);
    }
    return events.audit().get().query(q, e -> mayAudit(caller, e.repository()) && also.test(e), limit, after);
  }
}
