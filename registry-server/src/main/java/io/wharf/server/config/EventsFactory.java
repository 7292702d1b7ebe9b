package io.wharf.server.config;

import io.wharf.core.storage.StorageDriver;
import io.wharf.server.events.EventBus;
import io.wharf.server.events.EventFilter;
import io.wharf.server.events.EventFormat;
import io.wharf.server.events.Webhook;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Builds and checks the {@code events:} section: webhook endpoints and their queues. */
public final class EventsFactory {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  private EventsFactory() {}

  /**
   * The event bus of {@code config}, its outbox and audit trail in {@code driver}. Always a bus,
   * as endpoints can be added through the management API; with neither an endpoint nor an audit
   * trail it wants no event, and events cost nothing.
   *
   * @param config the configuration ({@code events})
   * @param driver where the outbox and the audit trail live
   * @return the event bus, not started
   * @throws ConfigException naming an endpoint key at fault
   */
  public static EventBus build(WharfConfig config, StorageDriver driver) {
    WharfConfig.Events events = config.withDefaults().events();
    boolean audit = Boolean.TRUE.equals(events.audit().enabled());
    EventBus.Builder b = EventBus.builder(driver);
    if (audit) {
      b.audit(positive(events.audit().keep(), "events.audit.keep"), Boolean.TRUE.equals(events.audit().pulls()));
    }
    if (events.maxPending() != null) {
      b.maxPending(events.maxPending());
    }
    for (int i = 0; i < events.endpoints().size(); i++) {
      b.endpoint(webhook(events.endpoints().get(i), "events.endpoints[" + i + "]"));
    }
    return b.build();
  }

  static void validate(WharfConfig.Events events, String key) {
    if (events == null) {
      return;
    }
    if (events.audit() != null) {
      positive(events.audit().keep(), key + ".audit.keep");
    }
    if (events.endpoints() == null) {
      return;
    }
    if (events.maxPending() != null && events.maxPending() < 1) {
      throw new ConfigException(key + ".maxPending: must be at least 1, got " + events.maxPending());
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < events.endpoints().size(); i++) {
      WharfConfig.EventEndpoint e = events.endpoints().get(i);
      String k = key + ".endpoints[" + i + "]";
      if (e == null) {
        throw new ConfigException(k + ": an endpoint needs at least name and url");
      }
      webhook(e, k);
      if (!names.add(e.name())) {
        throw new ConfigException(k + ".name: two endpoints are named " + e.name());
      }
    }
  }

  /**
   * The webhook {@code e} describes, checked as the file's endpoints are (the management API's
   * too); a {@link ConfigException} whose message starts with {@code key.<field>: }.
   *
   * @param e the endpoint as written
   * @param key the config key, for the error message ({@code events.endpoints[0]})
   * @return the webhook
   * @throws ConfigException naming the field at fault
   */
  public static Webhook webhook(WharfConfig.EventEndpoint e, String key) {
    if (e.name() == null || !NAME.matcher(e.name()).matches()) {
      throw new ConfigException(key + ".name: \"" + e.name() + "\" is not a name: lower-case letters, digits and '-',"
          + " up to 63 characters");
    }
    URI url;
    try {
      url = e.url() == null ? null : URI.create(e.url());
    } catch (IllegalArgumentException bad) {
      throw new ConfigException(key + ".url: not a URL: " + e.url());
    }
    if (url == null || url.getHost() == null || !("http".equals(url.getScheme()) || "https".equals(url.getScheme()))) {
      throw new ConfigException(key + ".url: an http:// or https:// URL is required, got " + e.url());
    }
    EventFormat format = e.format() == null ? EventFormat.DISTRIBUTION : EventFormat.of(e.format());
    if (format == null) {
      throw new ConfigException(key + ".format: \"" + e.format() + "\" is neither distribution nor cloudevents");
    }
    EventFilter filter;
    try {
      filter = new EventFilter(e.repositories(), e.actions(), e.mediaTypes(), format);
    } catch (IllegalArgumentException bad) {
      throw new ConfigException(key + ".actions: " + bad.getMessage());
    }
    if (e.headers() != null) {
      java.net.http.HttpRequest.Builder probe = java.net.http.HttpRequest.newBuilder(url);
      for (java.util.Map.Entry<String, String> h : e.headers().entrySet()) {
        try { // the delivery's own HTTP client decides: a header it refuses would fail every delivery
          probe.header(h.getKey(), h.getValue() == null ? "" : h.getValue());
        } catch (IllegalArgumentException bad) {
          throw new ConfigException(key + ".headers: " + h.getKey() + " cannot be sent: " + bad.getMessage());
        }
      }
    }
    if (e.secret() != null && e.secret().length() < 16) {
      throw new ConfigException(key + ".secret: use at least 16 characters (it signs every delivery)");
    }
    return new Webhook(e.name(), url, e.headers(), e.secret(), filter, format,
        positive(e.timeout(), key + ".timeout"), positive(e.backoff(), key + ".backoff"),
        positive(e.maxBackoff(), key + ".maxBackoff"), positive(e.maxAge(), key + ".maxAge"));
  }

  private static Duration positive(String value, String key) {
    if (value == null) {
      return null;
    }
    Duration d = Durations.parse(value, key);
    if (d.isZero() || d.isNegative()) {
      throw new ConfigException(key + ": must be more than 0, got " + value);
    }
    return d;
  }

}
