package io.wharf.server.events;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * How an event is put on the wire, one event per POST.
 * <ul>
 *   <li>{@link #DISTRIBUTION}: CNCF distribution's notification envelope
 *       {@code {"events":[{id, timestamp, action, target, request, actor, source}]}} with its media
 *       type, so receivers written for distribution work unchanged. {@code target.repository} is
 *       the image name as distribution names it; Wharf's repository is in {@code target.wharfRepository}.
 *       Events that are not about an artifact (sent in this format only to endpoints that name
 *       their actions) have the same envelope: {@code target} holds only
 *       {@code wharfRepository}, and their own fields are in {@code details}.
 *   <li>{@link #CLOUDEVENTS}: a CloudEvents 1.0 structured JSON event, {@code type}
 *       {@code io.wharf.<subject>.<verb>} ({@link Event.Action#cloudEventsType()}:
 *       {@code io.wharf.artifact.pushed}, {@code io.wharf.repository.created} ..., {@code io.wharf.ping}),
 *       the event's own fields ({@link Event#details()}) in {@code data} beside the common ones.
 * </ul>
 */
public enum EventFormat {
  /** CNCF distribution's notification envelope, for receivers written for distribution. */
  DISTRIBUTION("application/vnd.docker.distribution.events.v2+json") {
    @Override
    Object shape(Event e) {
      Map<String, Object> target = new LinkedHashMap<>();
      if (!e.action().isArtifact()) {
        put(target, "wharfRepository", e.repository());
        Map<String, Object> event = envelope(e, target);
        put(event, "details", e.details());
        return Map.of("events", List.of(event));
      }
      put(target, "mediaType", e.mediaType());
      put(target, "digest", e.digest());
      put(target, "size", e.size());
      put(target, "length", e.size());
      put(target, "repository", e.image() == null ? e.repository() : e.image());
      put(target, "fromRepository", e.fromRepository());
      put(target, "url", e.url());
      put(target, "tag", e.tag());
      put(target, "wharfRepository", e.repository());
      return Map.of("events", List.of(envelope(e, target)));
    }

    private Map<String, Object> envelope(Event e, Map<String, Object> target) {
      Map<String, Object> request = new LinkedHashMap<>();
      Event.Request r = e.request();
      put(request, "id", r == null ? null : r.id());
      put(request, "addr", e.actor() == null ? null : e.actor().addr());
      put(request, "host", r == null ? null : r.host());
      put(request, "method", r == null ? null : r.method());
      put(request, "useragent", e.actor() == null ? null : e.actor().userAgent());
      Map<String, Object> actor = new LinkedHashMap<>();
      put(actor, "name", e.actor() == null ? null : e.actor().name());
      Map<String, Object> event = new LinkedHashMap<>();
      event.put("id", e.id());
      event.put("timestamp", e.timestamp());
      event.put("action", e.action().wire());
      event.put("target", target);
      event.put("request", request);
      event.put("actor", actor);
      event.put("source", Map.of("instanceID", e.node()));
      return event;
    }
  },
  /** A CloudEvents 1.0 structured JSON event. */
  CLOUDEVENTS("application/cloudevents+json") {
    @Override
    Object shape(Event e) {
      Map<String, Object> data = new LinkedHashMap<>();
      put(data, "repository", e.repository());
      put(data, "image", e.image());
      put(data, "tag", e.tag());
      put(data, "digest", e.digest());
      put(data, "mediaType", e.mediaType());
      put(data, "size", e.size());
      put(data, "fromRepository", e.fromRepository());
      put(data, "url", e.url());
      if (e.details() != null) {
        e.details().forEach((k, v) -> put(data, k, v));
      }
      if (e.actor() != null) {
        Map<String, Object> actor = new LinkedHashMap<>();
        put(actor, "name", e.actor().name());
        put(actor, "addr", e.actor().addr());
        put(actor, "userAgent", e.actor().userAgent());
        data.put("actor", actor);
      }
      Map<String, Object> ce = new LinkedHashMap<>();
      ce.put("specversion", "1.0");
      ce.put("id", e.id());
      ce.put("source", "/wharf/" + e.node() + (e.repository() == null ? "" : "/repositories/" + e.repository()));
      ce.put("type", e.action().cloudEventsType());
      ce.put("time", e.timestamp());
      put(ce, "subject", e.subject());
      ce.put("datacontenttype", "application/json");
      ce.put("data", data);
      return ce;
    }
  };

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final String contentType;

  EventFormat(String contentType) {
    this.contentType = contentType;
  }

  /**
   * The {@code Content-Type} of a delivery.
   *
   * @return the media type
   */
  public String contentType() {
    return contentType;
  }

  /**
   * The body of one delivery.
   *
   * @param e the event
   * @return the JSON body
   */
  public byte[] encode(Event e) {
    return JSON.writeValueAsBytes(shape(e));
  }

  abstract Object shape(Event e);

  /**
   * The format named {@code name} ({@code distribution}, {@code cloudevents}), or null.
   *
   * @param name the config word, in any case
   * @return the format, or null for an unknown word
   */
  public static EventFormat of(String name) {
    for (EventFormat f : values()) {
      if (f.name().equalsIgnoreCase(name)) {
        return f;
      }
    }
    return null;
  }

  private static void put(Map<String, Object> m, String key, Object value) {
    if (value != null) {
      m.put(key, value);
    }
  }
}
