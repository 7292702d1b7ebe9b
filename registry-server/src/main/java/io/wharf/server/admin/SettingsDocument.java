package io.wharf.server.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.wharf.server.config.ConfigException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A list of entries created through the management API, in the config file's entry shape, kept
 * as one document of the {@link SettingsStore}: {@code {"version":1,"<field>":[...]}}. What the
 * live-changed settings beside the config file share (webhook endpoints, sync rules, sync
 * credentials): reading the document only when it changed, writing it whole, reading a request
 * body as an entry (400 naming an unknown or mistyped field), turning the file's validation
 * message into the API's field and message, and the poller through which every node reads the
 * document again every {@link #SYNC_INTERVAL}.
 *
 * @param <E> the entry type, a record the config file reads into too
 */
final class SettingsDocument<E> {
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

  private final SettingsStore settings;
  private final String subject;
  private final String field;
  private final JavaType listType;
  private final String what;
  /** The document last read or written: an unchanged document is not applied (nor warned about) again. */
  private byte[] last;

  /**
   * A document of entries of a plain type.
   *
   * @param settings where the document is kept
   * @param subject the settings subject ({@code event-endpoints}: {@code _wharf/settings/event-endpoints.json})
   * @param field the document's list field ({@code endpoints})
   * @param type the entry type
   * @param what the entries in messages ({@code the event endpoints})
   */
  SettingsDocument(SettingsStore settings, String subject, String field, Class<E> type, String what) {
    this(settings, subject, field, DOC.getTypeFactory().constructType(type), what);
  }

  /**
   * A document of entries of a generic type ({@link #type}).
   *
   * @param settings where the document is kept
   * @param subject the settings subject
   * @param field the document's list field
   * @param type the entry type, e.g. {@code type(ApiRule.class, SyncConfig.Rule.class)}
   * @param what the entries in messages
   */
  SettingsDocument(SettingsStore settings, String subject, String field, JavaType type, String what) {
    this.settings = Objects.requireNonNull(settings);
    this.subject = subject;
    this.field = field;
    this.listType = DOC.getTypeFactory().constructCollectionType(List.class, type);
    this.what = what;
  }

  /**
   * The entry type {@code raw<parameters>}, for an entry type with a type parameter.
   *
   * @param raw the generic class, e.g. {@code ApiRules.ApiRule}
   * @param parameters its type arguments
   * @return the type, for the constructor
   */
  static JavaType type(Class<?> raw, Class<?>... parameters) {
    return DOC.getTypeFactory().constructParametricType(raw, parameters);
  }

  /**
   * The entries, if the document changed since it was last read or written here; empty if not.
   *
   * @return the entries, or empty if unchanged
   *
   * @throws ConfigException if the document cannot be read as entries
   */
  synchronized Optional<List<E>> readIfChanged() {
    Optional<byte[]> doc = settings.read(subject);
    byte[] bytes = doc.orElse(new byte[0]);
    if (last != null && Arrays.equals(last, bytes)) {
      return Optional.empty();
    }
    List<E> entries = decode(doc);
    last = bytes;
    return Optional.of(entries);
  }

  /**
   * Replaces the document with {@code entries}.
   *
   * @param entries the entries, all of them
   *
   * @throws ManagementException 503 if it cannot be written: the change was not made
   */
  synchronized void write(List<E> entries) {
    ObjectNode root = DOC.createObjectNode();
    root.put("version", 1);
    root.set(field, DOC.valueToTree(entries));
    byte[] bytes = DOC.writeValueAsBytes(root);
    try {
      settings.write(subject, bytes);
    } catch (UncheckedIOException e) {
      throw new ManagementException(ManagementException.Reason.UNAVAILABLE,
          "the change could not be recorded, so it was not made: " + e.getMessage());
    }
    last = bytes;
  }

  private List<E> decode(Optional<byte[]> doc) {
    if (doc.isEmpty()) {
      return List.of();
    }
    try {
      JsonNode root = DOC.readTree(doc.get());
      JsonNode list = root == null ? null : root.get(field);
      if (list == null || list.isNull()) {
        return List.of();
      }
      List<E> entries = DOC.treeToValue(list, listType);
      return entries.stream().filter(Objects::nonNull).toList();
    } catch (JacksonException e) {
      throw new ConfigException(what + " created through the management API (" + SettingsStore.PREFIX + subject
          + ".json) cannot be read: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * A request body as an entry; 400 naming an unknown field (listing the known ones there) or one
   * of the wrong type.
   *
   * @param body the request body
   * @param type the entry type
   * @param shape what the body must be, e.g. {@code an entry of events.endpoints}
   * @param <T> the entry type
   * @return the entry
   * @throws ManagementException 400 naming the field
   */
  static <T> T parse(JsonNode body, Class<T> type, String shape) {
    if (body == null || !body.isObject()) {
      throw ManagementException.invalid("*", "an object is required, as " + shape);
    }
    try {
      return BODY.treeToValue(body, type);
    } catch (UnrecognizedPropertyException e) {
      throw ManagementException.invalid(path(e) + e.getPropertyName(), "unknown field; known: "
          + String.join(", ", e.getKnownPropertyIds().stream().map(String::valueOf).toList()));
    } catch (JacksonException e) {
      String at = path(e);
      throw ManagementException.invalid(at.isEmpty() ? "*" : at.substring(0, at.length() - 1),
          "does not fit " + shape + ": " + e.getOriginalMessage());
    }
  }

  /** Where in the body {@code e} happened, ending in {@code .} unless empty ({@code source.}, {@code content[0].}). */
  private static String path(JacksonException e) {
    StringBuilder at = new StringBuilder();
    List<JacksonException.Reference> refs = e.getPath();
    int end = e instanceof UnrecognizedPropertyException ? refs.size() - 1 : refs.size();
    for (int i = 0; i < end; i++) {
      JacksonException.Reference ref = refs.get(i);
      if (ref.getPropertyName() != null) {
        at.append(at.length() == 0 ? "" : ".").append(ref.getPropertyName());
      } else if (ref.getIndex() >= 0) {
        at.append('[').append(ref.getIndex()).append(']');
      }
    }
    return at.length() == 0 ? "" : at + ".";
  }

  /**
   * The config file's validation message for an entry checked under {@code key} as the API's 400:
   * {@code key.url: bad} and {@code key (name).url: bad} name the field {@code url}; any other
   * message names the whole body ({@code *}).
   *
   * @param bad the validation's refusal
   * @param key the key the entry was checked under, e.g. {@code rule}
   * @return the API's 400
   */
  static ManagementException invalid(ConfigException bad, String key) {
    String m = bad.getMessage();
    Matcher f = Pattern.compile("^" + Pattern.quote(key) + "(?: \\([^)]*\\))?(?:\\.([^:]+))?: (.*)$", Pattern.DOTALL)
        .matcher(m);
    if (f.matches()) {
      return ManagementException.invalid(f.group(1) == null ? "*" : f.group(1), f.group(2));
    }
    return ManagementException.invalid("*", m);
  }

  /**
   * A daemon thread {@code thread} that runs {@code sync} every {@link #SYNC_INTERVAL}; a failure is
   * logged as {@code what} and the next round comes. Shut it down to stop.
   *
   * @param thread the thread's name
   * @param sync what to run, e.g. a service's {@code sync}
   * @param log where a failure is logged
   * @param what the work in the log line
   * @return the poller
   */
  static ScheduledExecutorService poll(String thread, Runnable sync, Logger log, String what) {
    ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, thread);
      t.setDaemon(true);
      return t;
    });
    poller.scheduleWithFixedDelay(() -> {
      try {
        sync.run();
      } catch (RuntimeException e) {
        log.warn("{}: {}", what, e.toString());
      }
    }, SYNC_INTERVAL.toMillis(), SYNC_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    return poller;
  }
}
