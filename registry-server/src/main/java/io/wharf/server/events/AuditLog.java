package io.wharf.server.events;

import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The audit trail: every event (pulls only if asked), kept in the blob store for {@code keep}
 * and queryable newest first, and written as one JSON line each to the log {@value #LOGGER}:
 *
 * <pre>
 * _wharf/events/audit/&lt;yyyy-MM-dd&gt;/&lt;key&gt;.json   one event; the key sorts by time (see {@link Outbox})
 * </pre>
 *
 * One directory per UTC day, so that expiry deletes whole days and a query for recent events
 * reads only the last days. Every node of a shared store writes here and sees the others'.
 */
public final class AuditLog {
  /** The logger of the JSON lines: route it to its own file in the logging configuration. */
  public static final String LOGGER = "io.wharf.audit.events";
  private static final Logger LINES = LoggerFactory.getLogger(LOGGER);
  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String ROOT = "/docker/registry/v2/_wharf/events/audit";
  private static final Pattern DAY = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
  /** How long entries are kept when {@code events.audit.keep} is not set. */
  public static final Duration DEFAULT_KEEP = Duration.ofDays(30);

  /**
   * What a query asks for; null fields match anything.
   *
   * @param repository the Wharf repository
   * @param image the image name inside it
   * @param action what happened
   * @param actor the user who did it
   * @param since the earliest time, inclusive
   * @param until the latest time, exclusive
   */
  public record Query(String repository, String image, Event.Action action, String actor, Instant since,
      Instant until) {}

  /**
   * One page of a query's events.
   *
   * @param items the events, newest first
   * @param continuationToken what fetches the next page; null at the end
   */
  public record Page(List<Event> items, String continuationToken) {}

  private final StorageDriver driver;
  private final Clock clock;
  private final Duration keep;
  private final boolean pulls;

  /**
   * An audit trail stored in {@code driver}, one directory per day (UTC).
   *
   * @param driver the store, shared by the nodes
   * @param clock the clock of expiry and of the days
   * @param keep how long entries are kept
   * @param pulls whether pulls are recorded
   */
  public AuditLog(StorageDriver driver, Clock clock, Duration keep, boolean pulls) {
    this.driver = driver;
    this.clock = clock;
    this.keep = keep;
    this.pulls = pulls;
  }

  /**
   * Whether events of {@code action} are recorded: all but pings, and pulls only if asked for.
   *
   * @param action the action
   * @return true to record
   */
  public boolean wants(Event.Action action) {
    return action != Event.Action.PING && (action != Event.Action.PULL || pulls);
  }

  /** Records {@code event} under {@code key} (the outbox's key scheme: sortable by time). */
  void record(String key, Event event) {
    if (!wants(event.action())) {
      return;
    }
    byte[] json = JSON.writeValueAsBytes(event);
    try {
      driver.putContent(ROOT + "/" + day(event) + "/" + key + ".json", json);
    } catch (IOException e) {
      throw new UncheckedIOException("could not record event " + event.id() + " in the audit trail", e);
    }
    if (LINES.isInfoEnabled()) {
      LINES.info(new String(json, java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /**
   * Events matching {@code q} that {@code visible} lets through, newest first, at most {@code limit}.
   *
   * @param after the previous page's {@code continuationToken}, or null for the first page
   * @param q what to look for
   * @param visible which events the caller may see (its repositories)
   * @param limit the page's size
   * @return one page
   */
  public Page query(Query q, Predicate<Event> visible, int limit, String after) {
    // kept for {@code keep}, to the minute: expiry deletes whole days, so the days it has not
    // deleted yet may hold older events, which no answer shows
    Instant kept = clock.instant().minus(keep);
    if (q.since() == null || q.since().isBefore(kept)) {
      q = new Query(q.repository(), q.image(), q.action(), q.actor(), kept, q.until());
    }
    List<Event> out = new ArrayList<>();
    String last = null;
    List<String> days = list(ROOT).stream().map(StorageLayout::lastSegment).filter(d -> DAY.matcher(d).matches())
        .sorted(Comparator.reverseOrder()).toList();
    LocalDate sinceDay = q.since() == null ? null : LocalDate.ofInstant(q.since(), ZoneOffset.UTC);
    for (String day : days) {
      if (sinceDay != null && day.compareTo(sinceDay.toString()) < 0) {
        break;
      }
      if (after != null && day.compareTo(after.substring(0, Math.min(after.length(), 10))) > 0) {
        continue;
      }
      List<String> entries = new ArrayList<>(list(ROOT + "/" + day));
      entries.sort(Comparator.reverseOrder());
      for (String path : entries) {
        String token = day + "/" + key(path);
        if (after != null && token.compareTo(after) >= 0) {
          continue;
        }
        Optional<Event> e = read(path);
        if (e.isEmpty() || !matches(e.get(), q) || !visible.test(e.get())) {
          continue;
        }
        if (out.size() == limit) {
          return new Page(out, last);
        }
        out.add(e.get());
        last = token;
      }
    }
    return new Page(out, null);
  }

  /**
   * Deletes the days older than {@code keep}; returns how many.
   *
   * @return the number of days deleted
   */
  public int expire() {
    LocalDate oldest = LocalDate.ofInstant(clock.instant().minus(keep), ZoneOffset.UTC);
    int n = 0;
    for (String dir : list(ROOT)) {
      String day = StorageLayout.lastSegment(dir);
      if (DAY.matcher(day).matches() && day.compareTo(oldest.toString()) < 0) {
        try {
          driver.delete(dir);
          n++;
        } catch (IOException e) {
          LOG.warn("could not expire the audit trail of {}: {}", day, e.toString());
        }
      }
    }
    return n;
  }

  private static boolean matches(Event e, Query q) {
    if (q.repository() != null && !q.repository().equals(e.repository())) {
      return false;
    }
    if (q.image() != null && !q.image().equals(e.image())) {
      return false;
    }
    if (q.action() != null && q.action() != e.action()) {
      return false;
    }
    if (q.actor() != null && (e.actor() == null || !q.actor().equals(e.actor().name()))) {
      return false;
    }
    Instant t;
    try {
      t = Instant.parse(e.timestamp());
    } catch (DateTimeParseException bad) {
      return q.since() == null && q.until() == null;
    }
    return (q.since() == null || !t.isBefore(q.since())) && (q.until() == null || t.isBefore(q.until()));
  }

  private static String day(Event e) {
    try {
      return LocalDate.ofInstant(Instant.parse(e.timestamp()), ZoneOffset.UTC).toString();
    } catch (DateTimeParseException bad) {
      return LocalDate.now(ZoneOffset.UTC).toString();
    }
  }

  private static String key(String path) {
    String name = StorageLayout.lastSegment(path);
    return name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
  }

  private List<String> list(String dir) {
    try {
      return driver.list(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("could not list the audit trail " + dir, e);
    }
  }

  private Optional<Event> read(String path) {
    try {
      return driver.getContent(path).map(b -> JSON.readValue(b, Event.class));
    } catch (IOException e) {
      throw new UncheckedIOException("could not read the audit trail " + path, e);
    } catch (JacksonException e) {
      LOG.warn("skipping an unreadable audit entry {}: {}", path, e.getOriginalMessage());
      return Optional.empty();
    }
  }
}
