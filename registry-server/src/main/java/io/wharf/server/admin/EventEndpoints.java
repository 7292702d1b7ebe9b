package io.wharf.server.admin;

import io.wharf.server.events.DeliveryAttempt;
import io.wharf.server.events.EventBus;
import io.wharf.server.events.Webhook;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Wharf's webhook endpoints, for server administrators:
 * <pre>
 * GET  /v1/events/endpoints                               each endpoint: url, format, events waiting, last attempt
 * GET  /v1/events/endpoints/{name}                        one, with its last attempts (status, latency, error)
 * GET  /v1/events/endpoints/{name}/dead                   the events given up on, with why
 * POST /v1/events/endpoints/{name}/dead/{key}/redeliver   queue a dead letter again (204)
 * POST /v1/events/endpoints/{name}/ping                   send a ping now; the attempt's outcome
 * </pre>
 * Secrets and header values are never shown.
 */
final class EventEndpoints implements RestEndpoints {
  private static final int DEAD_LETTERS_SHOWN = 500;

  private final EventBus events;
  private final Consumer<Caller> requireAdmin;

  /** @param events null: no endpoint is configured (every list is empty) */
  EventEndpoints(EventBus events, Consumer<Caller> requireAdmin) {
    this.events = events;
    this.requireAdmin = requireAdmin;
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    List<String> s = call.segments();
    if (s.size() < 3 || !s.get(0).equals("v1") || !s.get(1).equals("events") || !s.get(2).equals("endpoints")) {
      return false;
    }
    if (call.matches("v1", "events", "endpoints")) {
      call.allow("GET");
      requireAdmin.accept(call.caller());
      call.send(events == null ? List.of() : events.endpoints().stream().map(w -> summary(w, false)).toList());
    } else if (call.matches("v1", "events", "endpoints", "*")) {
      call.allow("GET");
      requireAdmin.accept(call.caller());
      call.send(summary(endpoint(call.segment(3)), true));
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

  private Webhook endpoint(String name) {
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
    m.put("timeout", w.timeout().toString());
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
