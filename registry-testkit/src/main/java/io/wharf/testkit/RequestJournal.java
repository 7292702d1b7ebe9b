package io.wharf.testkit;

import java.time.Duration;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Every request a {@link TestRegistry} served, on all of its ports, in the order the requests
 * arrived: a request is placed when the registry starts on it, not when its response is
 * finished, so a slow download listed before a quick {@code HEAD} that came after it stays
 * there. Seeding through {@link TestRegistry#push} and inspection through {@link
 * TestRegistry#tags} and friends are not requests and do not show here.
 *
 * <pre>
 * assertThat(registry.journal().pushedTags("team/app")).containsExactly("1.0", "latest");
 * assertThat(registry.journal().lines()).containsSubsequence(
 *     "HEAD /v2/team/app/manifests/1.0", "GET /v2/team/app/manifests/1.0");
 * </pre>
 *
 * <p>A client has its response before the registry has finished its bookkeeping, so every read
 * first waits (up to {@value #SETTLE_MILLIS} ms) until no request is in flight: what the test's
 * client has seen is always in the journal, in its place. A request still running after that
 * (a download another thread is reading) is missing from that read and appears, in its arrival
 * place, in a later one. When responses ended: {@link RecordedRequest#time()} plus {@link
 * RecordedRequest#duration()}. Thread-safe.
 */
public final class RequestJournal {
  static final long SETTLE_MILLIS = 5_000;

  /** By arrival number: an entry is written when its response ends, in its arrival's place. */
  private final NavigableMap<Long, RecordedRequest> entries = new TreeMap<>();
  private long arrivals;
  private int inFlight;

  RequestJournal() {}

  /** A request arrived; returns its arrival number, to hand to {@link #end}. */
  synchronized long begin() {
    inFlight++;
    notifyAll();
    return arrivals++;
  }

  /** The request that got {@code arrival} from {@link #begin} has been answered ({@code entry} null: not recorded). */
  synchronized void end(long arrival, RecordedRequest entry) {
    if (entry != null) {
      entries.put(arrival, entry);
    }
    inFlight--;
    notifyAll();
  }

  /**
   * Waits until exactly {@code n} requests are in flight; false if that did not happen within
   * {@code timeout}. For tests of the journal itself, which hold a request open on purpose.
   */
  synchronized boolean awaitInFlight(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (inFlight != n) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }

  /** {@return every request so far} */
  public List<RecordedRequest> requests() {
    synchronized (this) {
      settle();
      return List.copyOf(entries.values());
    }
  }

  /**
   * The requests that match a condition, in arrival order.
   *
   * @param filter which requests to keep
   * @return the matching requests
   */
  public List<RecordedRequest> requests(Predicate<RecordedRequest> filter) {
    return requests().stream().filter(filter).toList();
  }

  /**
   * The requests to one repository, in arrival order.
   *
   * @param repository the repository's name ({@value TestRegistry#HOSTED}, {@value
   *     TestRegistry#PROXY}, ...)
   * @return the requests that came to its port
   */
  public List<RecordedRequest> requestsTo(String repository) {
    return requests(r -> repository.equals(r.repository()));
  }

  /**
   * {@return {@link RecordedRequest#line()} of every request: {@code "PUT
   * /v2/team/app/manifests/1.0"}}
   */
  public List<String> lines() {
    return requests().stream().map(RecordedRequest::line).toList();
  }

  /**
   * The tags pushed to an image (successful manifest {@code PUT}s by tag), in push order.
   *
   * @param image the image name, e.g. {@code team/app}
   * @return its pushed tags; a tag pushed twice is listed twice
   */
  public List<String> pushedTags(String image) {
    return requests(r -> r.isTagPush() && image.equals(r.image())).stream().map(RecordedRequest::reference).toList();
  }

  /**
   * {@return every image that got a tag pushed, with its tags: {@code "team/app:1.0"}, in push
   * order}
   */
  public List<String> pushedRefs() {
    return requests(RecordedRequest::isTagPush).stream().map(r -> r.image() + ":" + r.reference()).toList();
  }

  /**
   * The references of the manifests pulled ({@code GET}, successful) from an image, in order.
   *
   * @param image the image name, e.g. {@code team/app}
   * @return the tags and digests as the clients asked for them
   */
  public List<String> pulledManifests(String image) {
    return requests(r -> r.endpoint() == Endpoint.MANIFEST && "GET".equals(r.method()) && r.isSuccessful()
        && image.equals(r.image())).stream().map(RecordedRequest::reference).toList();
  }

  /**
   * How many requests used a method on an endpoint.
   *
   * @param method the HTTP method, e.g. {@code "GET"}
   * @param endpoint the endpoint ({@link Endpoint#ANY} counts every endpoint)
   * @return the number of such requests, whatever their status
   */
  public long count(String method, Endpoint endpoint) {
    return requests(r -> r.method().equals(method) && endpoint.covers(r.endpoint())).size();
  }

  /** {@return the number of requests so far} */
  public int size() {
    return requests().size();
  }

  /**
   * Forgets everything recorded so far. Like the reads, it first waits for requests in flight,
   * so a response the test has already seen is not recorded after the clear.
   */
  public synchronized void clear() {
    settle();
    entries.clear();
  }

  private void settle() {
    long deadline = System.nanoTime() + Duration.ofMillis(SETTLE_MILLIS).toNanos();
    while (inFlight > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return; // a long request (a slow download in another thread): report what has ended
      }
      try {
        wait(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public String toString() {
    List<RecordedRequest> all = requests();
    StringBuilder sb = new StringBuilder("RequestJournal[");
    for (RecordedRequest r : all) {
      sb.append("\n  ").append(r);
    }
    return sb.append(all.isEmpty() ? "]" : "\n]").toString();
  }
}
