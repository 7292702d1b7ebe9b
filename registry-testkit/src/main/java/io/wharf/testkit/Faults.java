package io.wharf.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * What a test registry does wrong on purpose, so that it can play a misbehaving registry: the one
 * the pipeline under test talks to, or an upstream (Docker Hub at its pull limit, a flaky mirror,
 * a proxy that cuts connections, a host that is down). Every {@link
 * TestRegistry} has one ({@link TestRegistry#faults()}); it starts with no faults, and changes
 * apply to the next request. Thread-safe.
 *
 * <pre>
 * TestRegistry hub = registry.upstream();
 * hub.faults().rateLimitPulls(2);                 // the 3rd manifest GET gets 429 TOOMANYREQUESTS
 * hub.faults().failNext(1, 500);                  // one 500, then normal service
 * hub.faults().latency(Duration.ofMillis(300));   // every request waits 300 ms
 * hub.faults().cutOffBlobs(1024);                 // blob bodies stop after 1 KiB, the connection drops
 * hub.faults().corruptBlobs();                    // blob bodies do not match their digest
 * hub.faults().down();                            // connections refused until up()
 * </pre>
 *
 * The registry your pipeline talks to has faults too ({@code registry.faults()}): a push that
 * meets a {@code 503} on its upload, a registry that stops answering mid-pipeline.
 *
 * Faults are served by a servlet filter in front of the registry's servlet, so the registry
 * itself stays correct: a fault changes only what goes over the wire. The journal records each
 * injected fault ({@link RecordedRequest#fault()}).
 */
public final class Faults {
  /** A pull, as Docker Hub counts them: a {@code GET} of a manifest (a {@code HEAD} is free). */
  private final AtomicInteger pulls = new AtomicInteger();
  private final List<Failure> failures = new ArrayList<>();
  private final List<Latency> latencies = new ArrayList<>();
  private Integer pullLimit;
  private Duration retryAfter = Duration.ofSeconds(60);
  private long cutOffAfter = -1;
  private boolean corruptBlobs;
  private boolean corruptManifests;
  /** Takes the registry's ports down (true) or brings them back (false); set by the registry at start. */
  private Consumer<Boolean> ports = down -> { };
  private boolean down;

  Faults() {}

  record Failure(Endpoint endpoint, int status, int[] remaining) {}

  record Latency(Endpoint endpoint, Duration delay) {}

  /**
   * After {@code pulls} successful manifest {@code GET}s, further manifest {@code GET}s answer
   * {@code 429 TOOMANYREQUESTS} with {@code Retry-After} (60 s unless given), as Docker Hub does.
   * {@code HEAD}s and blobs are not limited (also as on Docker Hub). Responses to manifest
   * requests carry {@code ratelimit-limit} and {@code ratelimit-remaining}.
   *
   * @param pulls how many manifest {@code GET}s succeed before the limit is hit (0: none)
   * @return these faults, for chaining
   * @throws IllegalArgumentException if {@code pulls} is negative
   */
  public synchronized Faults rateLimitPulls(int pulls) {
    if (pulls < 0) {
      throw new IllegalArgumentException("pulls < 0");
    }
    this.pullLimit = pulls;
    return this;
  }

  /**
   * As {@link #rateLimitPulls(int)}, with this {@code Retry-After}.
   *
   * @param pulls how many manifest {@code GET}s succeed before the limit is hit (0: none)
   * @param retryAfter what the {@code Retry-After} header of a {@code 429} says
   * @return these faults, for chaining
   * @throws IllegalArgumentException if {@code pulls} is negative
   */
  public synchronized Faults rateLimitPulls(int pulls, Duration retryAfter) {
    this.retryAfter = Objects.requireNonNull(retryAfter);
    return rateLimitPulls(pulls);
  }

  /** {@return the successful manifest {@code GET}s so far (counted with or without a limit)} */
  public int pulls() {
    return pulls.get();
  }

  /**
   * Starts counting pulls from zero again (the limit stays).
   *
   * @return these faults, for chaining
   */
  public Faults resetPulls() {
    pulls.set(0);
    return this;
  }

  /**
   * The next {@code times} requests answer {@code status} (with an OCI error body).
   *
   * @param times how many requests fail; positive
   * @param status the HTTP status they answer, such as {@code 500} or {@code 503}
   * @return these faults, for chaining
   * @throws IllegalArgumentException if {@code times} is not positive
   */
  public Faults failNext(int times, int status) {
    return failNext(times, status, Endpoint.ANY);
  }

  /**
   * The next {@code times} requests to {@code endpoint} answer {@code status} (with an OCI error
   * body); requests to other endpoints are served normally.
   *
   * @param times how many requests fail; positive
   * @param status the HTTP status they answer
   * @param endpoint which requests fail ({@link Endpoint#ANY} for all)
   * @return these faults, for chaining
   * @throws IllegalArgumentException if {@code times} is not positive
   */
  public synchronized Faults failNext(int times, int status, Endpoint endpoint) {
    if (times <= 0) {
      throw new IllegalArgumentException("times must be positive");
    }
    failures.add(new Failure(Objects.requireNonNull(endpoint), status, new int[] {times}));
    return this;
  }

  /**
   * Every request to {@code endpoint} answers {@code status}, until {@link #clear()}.
   *
   * @param status the HTTP status they answer
   * @param endpoint which requests fail ({@link Endpoint#ANY} for all)
   * @return these faults, for chaining
   */
  public synchronized Faults fail(int status, Endpoint endpoint) {
    failures.add(new Failure(Objects.requireNonNull(endpoint), status, new int[] {-1}));
    return this;
  }

  /**
   * Every request waits {@code delay} before it is served (really: the request's thread sleeps).
   *
   * @param delay how long each request waits
   * @return these faults, for chaining
   */
  public Faults latency(Duration delay) {
    return latency(Endpoint.ANY, delay);
  }

  /**
   * Every request to {@code endpoint} waits {@code delay} before it is served; latencies of
   * several calls add up for a request they all match.
   *
   * @param endpoint which requests are slow ({@link Endpoint#ANY} for all)
   * @param delay how long each of them waits
   * @return these faults, for chaining
   */
  public synchronized Faults latency(Endpoint endpoint, Duration delay) {
    latencies.add(new Latency(Objects.requireNonNull(endpoint), Objects.requireNonNull(delay)));
    return this;
  }

  /**
   * Blob bodies ({@code GET}) end after {@code bytes} bytes although {@code Content-Length}
   * promised more, and the connection is dropped: a download cut off mid-way.
   *
   * @param bytes how many bytes of each blob body are sent; 0 or more
   * @return these faults, for chaining
   * @throws IllegalArgumentException if {@code bytes} is negative
   */
  public synchronized Faults cutOffBlobs(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes < 0");
    }
    this.cutOffAfter = bytes;
    return this;
  }

  /**
   * Blob bodies have their first byte flipped: same length, wrong digest.
   *
   * @return these faults, for chaining
   */
  public synchronized Faults corruptBlobs() {
    this.corruptBlobs = true;
    return this;
  }

  /**
   * Manifest bodies ({@code GET}) have one hex digit of their first digest changed: still valid
   * JSON of the same length, but not the content their digest names.
   *
   * @return these faults, for chaining
   */
  public synchronized Faults corruptManifests() {
    this.corruptManifests = true;
    return this;
  }

  /**
   * The registry is down: every port of it stops listening, so a client's connection is refused
   * (and open connections are closed), as when the upstream's host is unreachable. Nothing
   * reaches the registry, so nothing shows in its journal. The ports stay reserved in the
   * registry's {@code url()}s; {@link #up()} (or {@link #clear()}) listens on them again.
   *
   * <pre>
   * registry.upstream().faults().down();     // Docker Hub is unreachable
   * // ... the proxy serves what it has cached, and fails clearly for the rest
   * registry.upstream().faults().up();
   * </pre>
   *
   * @return these faults, for chaining
   */
  public synchronized Faults down() {
    if (!down) {
      ports.accept(true);
      down = true;
    }
    return this;
  }

  /**
   * Listens again on the same ports after {@link #down()}; does nothing if the registry is up.
   *
   * @return these faults, for chaining
   */
  public synchronized Faults up() {
    if (down) {
      ports.accept(false);
      down = false;
    }
    return this;
  }

  /** {@return true between {@link #down()} and {@link #up()}} */
  public synchronized boolean isDown() {
    return down;
  }

  /**
   * No faults any more (a registry that is {@link #down()} comes up); the pull count starts from
   * zero.
   *
   * @return these faults, for chaining
   */
  public synchronized Faults clear() {
    up();
    failures.clear();
    latencies.clear();
    pullLimit = null;
    retryAfter = Duration.ofSeconds(60);
    cutOffAfter = -1;
    corruptBlobs = false;
    corruptManifests = false;
    pulls.set(0);
    return this;
  }

  // ---- used by TestRegistry and FaultFilter

  synchronized void ports(Consumer<Boolean> ports) {
    this.ports = Objects.requireNonNull(ports);
  }

  synchronized Duration delay(Endpoint e) {
    Duration total = Duration.ZERO;
    for (Latency l : latencies) {
      if (l.endpoint().covers(e)) {
        total = total.plus(l.delay());
      }
    }
    return total;
  }

  /** The status to fail this request with, or 0; consumes one of a {@code failNext}. */
  synchronized int takeFailure(Endpoint e) {
    for (Iterator<Failure> it = failures.iterator(); it.hasNext(); ) {
      Failure f = it.next();
      if (!f.endpoint().covers(e)) {
        continue;
      }
      int[] left = f.remaining();
      if (left[0] > 0 && --left[0] == 0) {
        it.remove();
      }
      return f.status();
    }
    return 0;
  }

  synchronized Integer pullLimit() {
    return pullLimit;
  }

  synchronized Duration retryAfter() {
    return retryAfter;
  }

  /** True if the pull limit is set and used up. */
  synchronized boolean pullLimitReached() {
    return pullLimit != null && pulls.get() >= pullLimit;
  }

  void countPull() {
    pulls.incrementAndGet();
  }

  synchronized long cutOffAfter() {
    return cutOffAfter;
  }

  synchronized boolean corruptBlobsOn() {
    return corruptBlobs;
  }

  synchronized boolean corruptManifestsOn() {
    return corruptManifests;
  }
}
