package io.wharf.server.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.wharf.server.config.ConfigException;
import io.wharf.server.config.EventsFactory;
import io.wharf.server.config.WharfConfig;
import io.wharf.server.events.EventBus;
import io.wharf.server.events.Webhook;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The webhook endpoints created, changed and deleted through the management API, with the same
 * precedence as repositories (README "Live changes"):
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
  static final Duration SYNC_INTERVAL = Duration.ofSeconds(5);
  /** The document: unknown fields are kept out, not refused (a later Wharf may add some). */
  private static final JsonMapper DOC = JsonMapper.builder()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .changeDefaultPropertyInclusion(v -> JsonInclude.Value.construct(JsonInclude.Include.NON_NULL,
          JsonInclude.Include.NON_NULL))
      .build();
  /** A request body: an unknown field is an error naming it, as an unknown key of the file is. */
  private static final JsonMapper BODY = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();
  /** The prefix of the keys in the validation's messages; cut off, the rest is the body's field. */
  private static final String KEY = "endpoint";

  record Document(int version, List<WharfConfig.EventEndpoint> endpoints) {}

  private final EventBus bus;
  private final SettingsStore settings;
  private final Set<String> pinned;
  private final List<WharfConfig.EventEndpoint> file;
  /** The API's endpoints now on the bus, by name, as the document holds them. */
  private Map<String, WharfConfig.EventEndpoint> applied = Map.of();
  /** The document last applied: an unchanged document is not applied (nor warned about) again. */
  private byte[] lastDocument;
  private ScheduledExecutorService poller;

  /**
   * @param file the config file's endpoints: pinned
   */
  public EventEndpointService(EventBus bus, SettingsStore settings, List<WharfConfig.EventEndpoint> file) {
    this.bus = bus;
    this.settings = settings;
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
    Optional<byte[]> doc = settings.read(SUBJECT);
    byte[] bytes = doc.orElse(new byte[0]);
    if (lastDocument != null && Arrays.equals(lastDocument, bytes)) {
      return;
    }
    Map<String, WharfConfig.EventEndpoint> next = new LinkedHashMap<>();
    for (WharfConfig.EventEndpoint e : decode(doc)) {
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
    lastDocument = bytes;
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
    if (!body.isObject()) {
      throw ManagementException.invalid("*", "an object is required, as an entry of events.endpoints");
    }
    try {
      return BODY.treeToValue(body, WharfConfig.EventEndpoint.class);
    } catch (UnrecognizedPropertyException e) {
      throw ManagementException.invalid(e.getPropertyName(), "unknown field; known: name, url, headers, secret,"
          + " repositories, actions, mediaTypes, format, timeout, backoff, maxBackoff, maxAge");
    } catch (JacksonException e) {
      StringBuilder at = new StringBuilder();
      for (JacksonException.Reference ref : e.getPath()) {
        if (ref.getPropertyName() != null) {
          at.append(at.length() == 0 ? "" : ".").append(ref.getPropertyName());
        } else if (ref.getIndex() >= 0) {
          at.append('[').append(ref.getIndex()).append(']');
        }
      }
      throw ManagementException.invalid(at.length() == 0 ? "*" : at.toString(),
          "does not fit an event endpoint: " + e.getOriginalMessage());
    }
  }

  /** The config file's validation, its message turned into the API's: the field, and what is wrong. */
  private static Webhook validate(WharfConfig.EventEndpoint e) {
    try {
      return EventsFactory.webhook(e, KEY);
    } catch (ConfigException bad) {
      String m = bad.getMessage();
      int colon = m.indexOf(": ");
      if (m.startsWith(KEY + ".") && colon > 0) {
        throw ManagementException.invalid(m.substring(KEY.length() + 1, colon), m.substring(colon + 2));
      }
      throw ManagementException.invalid("*", m);
    }
  }

  private void record(Map<String, WharfConfig.EventEndpoint> next) {
    byte[] bytes = DOC.writeValueAsBytes(new Document(1, List.copyOf(next.values())));
    try {
      settings.write(SUBJECT, bytes);
    } catch (UncheckedIOException e) {
      throw new ManagementException(ManagementException.Reason.UNAVAILABLE,
          "the change could not be recorded, so it was not made: " + e.getMessage());
    }
    lastDocument = bytes;
  }

  private List<WharfConfig.EventEndpoint> decode(Optional<byte[]> doc) {
    if (doc.isEmpty()) {
      return List.of();
    }
    try {
      Document d = DOC.readValue(doc.get(), Document.class);
      return d == null || d.endpoints() == null ? List.of()
          : d.endpoints().stream().filter(java.util.Objects::nonNull).toList();
    } catch (JacksonException e) {
      throw new ConfigException("the event endpoints created through the management API (" + SettingsStore.PREFIX
          + SUBJECT + ".json) cannot be read: " + e.getOriginalMessage(), e);
    }
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
    poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "wharf-event-endpoints");
      t.setDaemon(true);
      return t;
    });
    poller.scheduleWithFixedDelay(() -> {
      try {
        sync();
      } catch (RuntimeException e) {
        LOG.warn("reading the event endpoints created through the management API: {}", e.toString());
      }
    }, SYNC_INTERVAL.toMillis(), SYNC_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
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
