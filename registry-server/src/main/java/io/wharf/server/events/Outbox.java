package io.wharf.server.events;

import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import io.wharf.core.gc.GcLease;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The events waiting for delivery, one queue per endpoint, kept in a blob store so that they
 * survive a crash and are seen by every node that shares the store:
 *
 * <pre>
 * _wharf/events/outbox/&lt;endpoint&gt;/&lt;key&gt;.json   waiting, oldest key first
 * _wharf/events/dead/&lt;endpoint&gt;/&lt;key&gt;.json     given up on: the API lists and redelivers them
 * _wharf/events/lease/&lt;endpoint&gt;              which node delivers this endpoint's queue now
 * </pre>
 *
 * A key is {@code <epoch millis, 13 digits>-<counter, 9 digits>-<node>}: keys sort in the order
 * this node accepted the events, and roughly by time across nodes. Each entry is one
 * {@link StorageDriver#putContent} (atomic on every driver): a crash leaves an event stored
 * whole or not at all, and the request that caused it has not answered in the second case.
 */
public final class Outbox {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String ROOT = "/docker/registry/v2/_wharf/events";

  /** An event waiting (or dead), with its key. */
  record Entry(String key, Event event) {}

  /**
   * An event given up on, why, and after how many attempts.
   *
   * @param key its key in the outbox, which {@code redeliver} takes
   * @param event the event
   * @param reason the last failure: a status, a refusal or an age over {@code maxAge}
   * @param attempts how many deliveries were tried
   * @param failedAt when it was given up on (ISO-8601)
   */
  public record DeadLetter(String key, Event event, String reason, int attempts, String failedAt) {}

  private final StorageDriver driver;
  private final String node;
  private final Clock clock;
  private final AtomicLong counter = new AtomicLong();

  Outbox(StorageDriver driver, String node, Clock clock) {
    this.driver = driver;
    this.node = node;
    this.clock = clock;
  }

  /** Stores {@code event} in {@code endpoint}'s queue under a new key; returns the key. */
  String append(String endpoint, Event event) {
    String key = newKey();
    append(endpoint, key, event);
    return key;
  }

  /** Stores {@code event} in {@code endpoint}'s queue under {@code key} (from {@link #newKey()}). */
  void append(String endpoint, String key, Event event) {
    write(queue(endpoint) + "/" + key + ".json", JSON.writeValueAsBytes(event));
  }

  /** A key after every key this node made before (and, clocks in sync, roughly after other nodes' too). */
  String newKey() {
    return String.format("%013d-%09d-%s", clock.millis(), counter.incrementAndGet() % 1_000_000_000L, node);
  }

  /** Up to {@code max} waiting events of {@code endpoint}, oldest first. */
  List<Entry> pending(String endpoint, int max) {
    List<Entry> out = new ArrayList<>();
    for (String path : list(queue(endpoint))) {
      if (out.size() >= max) {
        break;
      }
      Optional<byte[]> bytes = read(path);
      if (bytes.isEmpty()) {
        continue; // delivered by another node meanwhile
      }
      try {
        out.add(new Entry(key(path), decode(bytes.get(), Event.class)));
      } catch (IllegalStateException unreadable) {
        // never blocks the queue: set aside, with why, where an operator sees it
        DeadLetter d = new DeadLetter(key(path), null, unreadable.getMessage(), 0, clock.instant().toString());
        write(dead(endpoint) + "/" + key(path) + ".json", JSON.writeValueAsBytes(d));
        delete(path);
      }
    }
    return out;
  }

  /** How many events wait for {@code endpoint} (a listing: for the API and metrics, not per request). */
  int count(String endpoint) {
    return list(queue(endpoint)).size();
  }

  /** {@code key} was delivered: removed from the queue. */
  void delivered(String endpoint, String key) {
    delete(queue(endpoint) + "/" + key + ".json");
  }

  /** Moves {@code key} from the queue to the dead letters, with why. */
  void bury(String endpoint, Entry entry, String reason, int attempts) {
    DeadLetter d = new DeadLetter(entry.key(), entry.event(), reason, attempts, clock.instant().toString());
    write(dead(endpoint) + "/" + entry.key() + ".json", JSON.writeValueAsBytes(d));
    delete(queue(endpoint) + "/" + entry.key() + ".json");
  }

  /** The dead letters of {@code endpoint}, oldest first. */
  List<DeadLetter> dead(String endpoint, int max) {
    List<DeadLetter> out = new ArrayList<>();
    for (String path : list(dead(endpoint))) {
      if (out.size() >= max) {
        break;
      }
      read(path).ifPresent(bytes -> out.add(decode(bytes, DeadLetter.class)));
    }
    return out;
  }

  /**
   * Puts a dead letter back at the end of the queue (a new key: it goes after what waits now).
   *
   * @return false if there is no such dead letter
   */
  boolean redeliver(String endpoint, String key) {
    String path = dead(endpoint) + "/" + key + ".json";
    Optional<byte[]> bytes = read(path);
    if (bytes.isEmpty()) {
      return false;
    }
    Event event = decode(bytes.get(), DeadLetter.class).event();
    if (event == null) {
      throw new IllegalStateException("dead letter " + key + " of " + endpoint + " was unreadable; it cannot be sent");
    }
    append(endpoint, event);
    delete(path);
    return true;
  }

  /**
   * Deletes {@code endpoint}'s queue and dead letters (the endpoint is gone).
   *
   * @return how many events were dropped
   */
  int drop(String endpoint) {
    int n = 0;
    for (String dir : List.of(queue(endpoint), dead(endpoint))) {
      for (String path : list(dir)) {
        delete(path);
        n++;
      }
    }
    return n;
  }

  /**
   * Takes the lease on delivering {@code endpoint}'s queue, so that of several nodes sharing the
   * store one delivers it (see {@link GcLease}: the same mechanism as garbage collection's).
   *
   * @throws GcLease.HeldException if another node holds it
   */
  GcLease lease(String endpoint, Duration ttl, Duration settle) throws IOException {
    return GcLease.acquire(driver, ROOT + "/lease/" + endpoint, node, ttl, settle, clock);
  }

  private static String queue(String endpoint) {
    return ROOT + "/outbox/" + endpoint;
  }

  private static String dead(String endpoint) {
    return ROOT + "/dead/" + endpoint;
  }

  private static String key(String path) {
    String name = StorageLayout.lastSegment(path);
    return name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
  }

  private List<String> list(String dir) {
    try {
      return driver.list(dir).stream().filter(p -> p.endsWith(".json")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("could not list the events in " + dir, e);
    }
  }

  private Optional<byte[]> read(String path) {
    try {
      return driver.getContent(path);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read the event " + path, e);
    }
  }

  private void write(String path, byte[] bytes) {
    try {
      driver.putContent(path, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("could not store the event " + path, e);
    }
  }

  private void delete(String path) {
    try {
      driver.delete(path);
    } catch (IOException e) {
      throw new UncheckedIOException("could not remove the event " + path, e);
    }
  }

  private static <T> T decode(byte[] bytes, Class<T> type) {
    try {
      return JSON.readValue(bytes, type);
    } catch (JacksonException e) {
      throw new IllegalStateException("a stored event is not readable: " + e.getOriginalMessage(), e);
    }
  }
}
