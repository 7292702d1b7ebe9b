package io.wharf.server.admin;

import io.wharf.server.config.ConfigException;
import io.wharf.server.config.EventsFactory;
import io.wharf.server.config.WharfConfig;
import io.wharf.server.events.EventBus;
import io.wharf.server.events.Webhook;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The webhook endpoints created, changed and deleted through the management API, with the same
 * precedence as repositories ({@code docs/api.md}, "Live changes"):
 *
 * <ul>
 *   <li>the endpoints of the config file are pinned: the API cannot create one of their names,
 *       change or delete them;
 *   <li>the API's endpoints are kept in the {@link SettingsStore} under subject {@value #SUBJECT}
 *       as {@code {"version":1,"endpoints":[...]}}, each in the config file's entry shape (the
 *       secret included: it signs every delivery, so it cannot be kept hashed), and come back at
 *       every start;
 *   <li>a name in both: the file wins, the API's entry is left out with a warning.
 * </ul>
 *
 * A change is validated as the file's entries are, written to the document, then applied to the
 * {@link EventBus} at once; a refused change writes nothing. Every node sharing the store reads
 * the document again before each change and each read of the endpoints API, and on its own every
 * {@link #SYNC_INTERVAL}, so an endpoint created on one node receives the events of all of them.
 */
final class EventEndpointService extends AbstractLifeCycle {
  private static final Logger LOG = LoggerFactory.getLogger(EventEndpointService.class);
  /** The settings subject of the document. */
  public static final String SUBJECT = "event-endpoints";
  /** How often a node reads the document on its own (another node may have changed it). */
  static final Duration SYNC_INTERVAL = SettingsDocument.SYNC_INTERVAL;
  /** The prefix of the keys in the validation's messages; cut off, the rest is the body's field. */
  private static final String KEY = "endpoint";

  private final EventBus bus;
  private final SettingsDocument<WharfConfig.EventEndpoint> document;
  private final Set<String> pinned;
  private final List<WharfConfig.EventEndpoint> file;
  /** The API's endpoints now on the bus, by name, as the document holds them. */
  private Map<String, WharfConfig.EventEndpoint> applied = Map.of();
  private ScheduledExecutorService poller;

  /**
   * @param file the config file's endpoints: pinned
   */
  public EventEndpointService(EventBus bus, SettingsStore settings, List<WharfConfig.EventEndpoint> file) {
    this.bus = bus;
    this.document = new SettingsDocument<>(settings, SUBJECT, "endpoints", WharfConfig.EventEndpoint.class,
        "the event endpoints");
    Set<String> names = new LinkedHashSet<>();
    file.forEach(e -> names.add(e.name()));
    this.pinned = Set.copyOf(names);
    this.file = List.copyOf(file);
  }

  /** Endpoint {@code name} as declared, in the file or through the API (secrets included: not for answers). */
  public synchronized Optional<WharfConfig.EventEndpoint> declared(String name) {
    return file.stream().filter(e -> e.name().equals(name)).findFirst().or(() -> Optional.ofNullable(applied.get(name)));
  }

  /** Whether the config file declares endpoint {@code name}. */
  public boolean pinned(String name) {
    return pinned.contains(name);
  }

  /** The endpoints created through the API, as the document holds them (secrets included: not for answers). */
  public synchronized List<WharfConfig.EventEndpoint> created() {
    return List.copyOf(applied.values());
  }

  /**
   * Reads the document and applies it to the bus: endpoints added, changed or removed by another
   * node (or before a restart) take effect here.
   *
   * @throws ConfigException if the document cannot be read as endpoints
   */
  public synchronized void sync() {
    Optional<List<WharfConfig.EventEndpoint>> changed = document.readIfChanged();
    if (changed.isEmpty()) {
      return;
    }
    Map<String, WharfConfig.EventEndpoint> next = new LinkedHashMap<>();
    for (WharfConfig.EventEndpoint e : changed.get()) {
      if (e.name() != null && pinned.contains(e.name())) {
        LOG.warn("event endpoint {} is declared in the configuration file and was also created through the"
            + " management API; the file's declaration is used and the API's is left out", e.name());
        continue;
      }
      try {
        EventsFactory.webhook(e, KEY);
        next.put(e.name(), e);
      } catch (ConfigException bad) {
        LOG.warn("event endpoint {} (created through the management API) is left out: {}", e.name(),
            bad.getMessage());
      }
    }
    apply(next);
  }

  /**
   * Creates endpoint {@code body} (the config file's entry shape): validated, recorded, delivering.
   *
   * @throws ManagementException 400 naming the field, 409 if the name exists or the file declares it
   */
  public synchronized Webhook create(JsonNode body) {
    WharfConfig.EventEndpoint e = parse(body);
    if (e.name() != null && pinned.contains(e.name())) {
      throw new ManagementException(ManagementException.Reason.CONFLICT, "event endpoint " + e.name()
          + " is declared in the configuration file, which the API does not change");
    }
    Webhook w = validate(e);
    sync(); // build on what the other nodes wrote
    if (applied.containsKey(e.name())) {
      throw new ManagementException(ManagementException.Reason.CONFLICT,
          "an event endpoint named " + e.name() + " already exists");
    }
    Map<String, WharfConfig.EventEndpoint> next = new LinkedHashMap<>(applied);
    next.put(e.name(), e);
    record(next);
    put(w);
    applied = ordered(next);
    return w;
  }

  /**
   * Replaces endpoint {@code name} (created through the API) with {@code body}. The secret and the
   * headers are write-only (no answer shows them), so a body without {@code secret} keeps the
   * stored one ({@code ""} removes it), and one without {@code headers} keeps the stored headers.
   * Events waiting keep their place and go to the endpoint as it is now.
   *
   * @throws ManagementException 404, 409 if the file declares it, 400 naming the field
   */
  public synchronized Webhook update(String name, JsonNode body) {
    if (pinned.contains(name)) {
      throw new ManagementException(ManagementException.Reason.CONFLICT, "event endpoint " + name
          + " is declared in the configuration file, which the API does not change; change it there (then restart)");
    }
    WharfConfig.EventEndpoint e = parse(body);
    if (e.name() != null && !e.name().equals(name)) {
      throw ManagementException.invalid("name", "the body names " + e.name() + ", the path " + name
          + "; an endpoint cannot be renamed (delete it and create the new one)");
    }
    sync();
    WharfConfig.EventEndpoint current = applied.get(name);
    if (current == null) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no event endpoint named " + name);
    }
    String secret = e.secret() == null ? current.secret() : e.secret().isEmpty() ? null : e.secret();
    e = new WharfConfig.EventEndpoint(name, e.url(), e.headers() == null ? current.headers() : e.headers(), secret,
        e.repositories(), e.actions(), e.mediaTypes(), e.format(), e.timeout(), e.backoff(), e.maxBackoff(),
        e.maxAge());
    Webhook w = validate(e);
    Map<String, WharfConfig.EventEndpoint> next = new LinkedHashMap<>(applied);
    next.put(name, e);
    record(next);
    put(w);
    applied = ordered(next);
    return w;
  }

  /**
   * Deletes endpoint {@code name} (created through the API): no more deliveries, and the events
   * still waiting for it and its dead letters are dropped ({@link EventBus#remove}).
   *
   * @throws ManagementException 404, 409 if the file declares it
   */
  public synchronized void delete(String name) {
    if (pinned.contains(name)) {
      throw new ManagementException(ManagementException.Reason.CONFLICT, "event endpoint " + name
          + " is declared in the configuration file, which the API does not change; remove it there (then restart)");
    }
    sync();
    if (!applied.containsKey(name)) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no event endpoint named " + name);
    }
    Map<String, WharfConfig.EventEndpoint> next = new LinkedHashMap<>(applied);
    next.remove(name);
    record(next);
    remove(name);
    applied = ordered(next);
  }

  /** The body as an endpoint; 400 naming an unknown field or one of the wrong type. */
  private static WharfConfig.EventEndpoint parse(JsonNode body) {
    return SettingsDocument.parse(body, WharfConfig.EventEndpoint.class, "an entry of events.endpoints");
  }

  /** The config file's validation, its message turned into the API's: the field, and what is wrong. */
  private static Webhook validate(WharfConfig.EventEndpoint e) {
    try {
      return EventsFactory.webhook(e, KEY);
    } catch (ConfigException bad) {
      throw SettingsDocument.invalid(bad, KEY);
    }
  }

  private void record(Map<String, WharfConfig.EventEndpoint> next) {
    document.write(List.copyOf(next.values()));
  }

  /** Makes the bus hold the file's endpoints and {@code next}. */
  private void apply(Map<String, WharfConfig.EventEndpoint> next) {
    for (String name : applied.keySet()) {
      if (!next.containsKey(name)) {
        remove(name);
      }
    }
    next.forEach((name, e) -> {
      if (!e.equals(applied.get(name))) {
        put(EventsFactory.webhook(e, KEY));
      }
    });
    applied = ordered(next);
  }

  /** An unchangeable copy in creation order (the document's order, and the API's). */
  private static Map<String, WharfConfig.EventEndpoint> ordered(Map<String, WharfConfig.EventEndpoint> m) {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  private void put(Webhook w) {
    try {
      bus.put(w);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ManagementException(ManagementException.Reason.UNAVAILABLE, "interrupted: the server is stopping");
    }
  }

  private void remove(String name) {
    try {
      bus.remove(name);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ManagementException(ManagementException.Reason.UNAVAILABLE, "interrupted: the server is stopping");
    }
  }

  @Override
  protected void doStart() {
    poller = SettingsDocument.poll("wharf-event-endpoints", this::sync, LOG,
        "reading the event endpoints created through the management API");
  }

  @Override
  protected void doStop() {
    if (poller != null) {
      poller.shutdownNow();
    }
  }

  /** {@code config} with the API's endpoints after the file's: what the server runs with. */
  public WharfConfig effective(WharfConfig config) {
    WharfConfig.Events events = config.events();
    List<WharfConfig.EventEndpoint> all = new ArrayList<>(events == null || events.endpoints() == null ? List.of()
        : events.endpoints());
    all.addAll(created());
    return config.withEvents(new WharfConfig.Events(all, events == null ? null : events.maxPending(),
        events == null ? null : events.audit()));
  }
}
