package io.wharf.server.admin;

import io.wharf.server.config.WharfConfig;
import io.wharf.server.events.AuditLog;
import io.wharf.server.events.DeliveryAttempt;
import io.wharf.server.events.Event;
import io.wharf.server.events.EventBus;
import io.wharf.server.events.Webhook;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.Consumer;

/**
 * Wharf's events: the audit trail for the administrators of the repositories concerned, and the
 * webhook endpoints for server administrators:
 * <pre>
 * GET  /v1/events?repository=&amp;image=&amp;action=&amp;actor=&amp;since=&amp;until=&amp;limit=&amp;continuationToken=
 *                                                         the audit trail, newest first, paged
 * GET  /v1/events/endpoints                               each endpoint: url, format, events waiting, last attempt
 * POST /v1/events/endpoints                               create one (the config file's entry shape): 201
 * GET  /v1/events/endpoints/{name}                        one, with its last attempts (status, latency, error)
 * PUT  /v1/events/endpoints/{name}                        change one the API created: 200
 * DELETE /v1/events/endpoints/{name}                      delete one the API created: 204
 * GET  /v1/events/endpoints/{name}/dead                   the events given up on, with why
 * POST /v1/events/endpoints/{name}/dead/{key}/redeliver   queue a dead letter again (204)
 * POST /v1/events/endpoints/{name}/ping                   send a ping now; the attempt's outcome
 * </pre>
 * Secrets and header values are never shown. Endpoints the config file declares are pinned
 * (409 on a change): see {@link EventEndpointService}.
 */
final class EventEndpoints implements RestEndpoints {
  private static final int DEAD_LETTERS_SHOWN = 500;

  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1000;

  private final EventBus events;
  private final EventEndpointService endpoints;
  private final Consumer<Caller> requireAdmin;
  private final BiPredicate<Caller, String> mayAudit;

  /**
   * @param events null: no events are kept or sent (every list is empty)
   * @param endpoints the endpoints created through the API; null when {@code events} is
   * @param requireAdmin refuses a caller who is not a server administrator
   * @param mayAudit whether a caller may see the events of a repository (by name)
   */
  EventEndpoints(EventBus events, EventEndpointService endpoints, Consumer<Caller> requireAdmin,
      BiPredicate<Caller, String> mayAudit) {
    this.events = events;
    this.endpoints = endpoints;
    this.requireAdmin = requireAdmin;
    this.mayAudit = mayAudit;
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    List<String> s = call.segments();
    if (call.matches("v1", "events")) {
      call.allow("GET");
      audit(call);
      return true;
    }
    if (s.size() < 3 || !s.get(0).equals("v1") || !s.get(1).equals("events") || !s.get(2).equals("endpoints")) {
      return false;
    }
    if (call.matches("v1", "events", "endpoints")) {
      call.allow("GET", "POST");
      requireAdmin.accept(call.caller());
      if (call.method().equals("POST")) {
        Webhook created = service().create(call.json());
        call.header("Location", call.base() + "/wharf/api/v1/events/endpoints/" + created.name());
        call.send(201, summary(created, false));
        return true;
      }
      sync();
      call.send(events == null ? List.of() : events.endpoints().stream().map(w -> summary(w, false)).toList());
    } else if (call.matches("v1", "events", "endpoints", "*")) {
      call.allow("GET", "PUT", "DELETE");
      requireAdmin.accept(call.caller());
      switch (call.method()) {
        case "PUT" -> call.send(summary(service().update(call.segment(3), call.json()), false));
        case "DELETE" -> {
          service().delete(call.segment(3));
          call.status(204);
        }
        default -> call.send(summary(endpoint(call.segment(3)), true));
      }
    } else if (call.matches("v1", "events", "endpoints", "*", "dead")) {
      call.allow("GET");
      requireAdmin.accept(call.caller());
      call.send(events.deadLetters(endpoint(call.segment(3)).name(), DEAD_LETTERS_SHOWN));
    } else if (call.matches("v1", "events", "endpoints", "*", "dead", "*", "redeliver")) {
      call.allow("POST");
      requireAdmin.accept(call.caller());
      if (!events.redeliver(endpoint(call.segment(3)).name(), call.segment(5))) {
        throw new ManagementException(ManagementException.Reason.NOT_FOUND,
            "endpoint " + call.segment(3) + " has no dead letter " + call.segment(5));
      }
      call.status(204);
    } else if (call.matches("v1", "events", "endpoints", "*", "ping")) {
      call.allow("POST");
      requireAdmin.accept(call.caller());
      call.send(events.ping(endpoint(call.segment(3)).name()));
    } else {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no endpoint at /wharf/api" + call.path());
    }
    return true;
  }

  private void audit(RestCall call) throws IOException {
    Caller caller = call.caller();
    Event.Action action = null;
    if (call.query("action") != null) {
      action = Event.Action.of(call.query("action"));
      if (action == null || action == Event.Action.PING) {
        throw ManagementException.invalid("action", "unknown action " + call.query("action")
            + "; one of " + Event.Action.names());
      }
    }
    int limit = DEFAULT_LIMIT;
    if (call.query("limit") != null) {
      try {
        limit = Integer.parseInt(call.query("limit"));
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        throw ManagementException.invalid("limit", "a number from 1 to " + MAX_LIMIT + ", got " + call.query("limit"));
      }
    }
    String token = call.query("continuationToken");
    if (token != null && !token.matches("\\d{4}-\\d{2}-\\d{2}/[0-9A-Za-z-]+")) {
      throw ManagementException.invalid("continuationToken", "not a token this API gave out");
    }
    AuditLog.Query q = new AuditLog.Query(call.query("repository"), call.query("image"), action, call.query("actor"),
        instant(call, "since"), instant(call, "until"));
    if (events == null || events.audit().isEmpty()) {
      call.send(new AuditLog.Page(List.of(), null));
      return;
    }
    call.send(events.audit().get().query(q, e -> mayAudit.test(caller, e.repository()), limit, token));
  }

  private static Instant instant(RestCall call, String name) {
    String v = call.query(name);
    if (v == null) {
      return null;
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw ManagementException.invalid(name, "not an RFC 3339 time such as 2026-12-02T08:00:00Z: " + v);
    }
  }

  private EventEndpointService service() {
    if (endpoints == null) {
      throw new ManagementException(ManagementException.Reason.CONFLICT, "this server keeps no events (it serves"
          + " an embedder's registry, without a blob store of its own); event endpoints cannot be added");
    }
    return endpoints;
  }

  /** Another node sharing the store may have changed the API's endpoints: what this answer shows is current. */
  private void sync() {
    if (endpoints != null) {
      endpoints.sync();
    }
  }

  private Webhook endpoint(String name) {
    sync();
    if (events == null) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no event endpoint named " + name
          + " (none is configured: events.endpoints)");
    }
    return events.endpoint(name).orElseThrow(() -> new ManagementException(ManagementException.Reason.NOT_FOUND,
        "no event endpoint named " + name));
  }

  private Map<String, Object> summary(Webhook w, boolean withHistory) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", w.name());
    m.put("url", w.url().toString());
    m.put("format", w.format().name().toLowerCase(java.util.Locale.ROOT));
    m.put("signed", w.secret() != null);
    m.put("headers", w.headers().keySet());
    m.put("source", endpoints != null && !endpoints.pinned(w.name()) ? "api" : "file");
    WharfConfig.EventEndpoint declared = endpoints == null ? null : endpoints.declared(w.name()).orElse(null);
    m.put("repositories", declared == null || declared.repositories() == null ? List.of() : declared.repositories());
    m.put("actions", declared == null || declared.actions() == null ? List.of() : declared.actions());
    m.put("mediaTypes", declared == null || declared.mediaTypes() == null ? List.of() : declared.mediaTypes());
    m.put("timeout", w.timeout().toString());
    m.put("backoff", w.initialBackoff().toString());
    m.put("maxBackoff", w.maxBackoff().toString());
    m.put("maxAge", w.maxAge().toString());
    m.put("pending", events.pending(w.name()));
    List<DeliveryAttempt> history = events.history(w.name());
    m.put("lastAttempt", history.isEmpty() ? null : history.get(history.size() - 1));
    if (withHistory) {
      m.put("attempts", history);
    }
    return m;
  }
}
