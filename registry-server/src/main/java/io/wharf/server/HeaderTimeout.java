package io.wharf.server;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code server.headerTimeout}: closes a connection whose request line and headers do not arrive
 * in time. Jetty's idle timeout restarts with every byte, so a client sending one header byte a
 * second (slowloris) keeps its connection forever, and a few hundred such clients fill
 * {@code maxConnections} for everyone; Jetty 12.1 has no timeout for the header phase itself.
 *
 * <p>Each HTTP/1.1 connection is looked at every {@code timeout}; one seen waiting for the same
 * request's headers at two looks in a row is closed. So headers that take longer than twice the
 * timeout never complete, and none that take less than the timeout is cut (a server too busy to
 * read for a while gets that much slack as well). A new connection waits for its first request's
 * headers from the start: one that sends nothing, or trickles its TLS handshake, goes the same
 * way. Idle keep-alive connections between requests are the idle timeout's business; requests
 * being served or sending their bodies, no one's here.
 *
 * <p><b>At the cap.</b> When the listener holds {@code maxConnections}, it stops accepting, and
 * waiting out the timeout would leave every new client in the accept queue for that long while an
 * attacker holds the slots. So at the cap, connections that have waited for their headers longer
 * than {@link #AT_CAP_GRACE} (a real client sends its request line and headers at once) are
 * closed, all of them, and again every grace period while the cap holds. Attackers that reconnect
 * queue in the kernel's accept queue like everyone else, so all must go, not a few: the queue then
 * moves by the cap each grace period, and a client whose headers arrive is never among them.
 */
final class HeaderTimeout implements Connection.Listener {
  /** At the cap, how long a connection may wait for its headers before it makes room. */
  static final Duration AT_CAP_GRACE = Duration.ofSeconds(1);
  private static final Duration WARN_EVERY = Duration.ofMinutes(1);
  private static final Logger LOG = LoggerFactory.getLogger(HeaderTimeout.class);

  private final long timeoutMillis;
  private final long graceNanos;
  private final int maxConnections;
  private final Scheduler scheduler;
  private final Map<HttpConnection, Watch> open = new ConcurrentHashMap<>();
  private final AtomicBoolean roomLookScheduled = new AtomicBoolean();
  // makeRoom's own: one look runs at a time (roomLookScheduled)
  private int closedAtCap;
  private long lastWarnNanos = System.nanoTime() - WARN_EVERY.toNanos();

  HeaderTimeout(Duration timeout, int maxConnections, Scheduler scheduler) {
    this.timeoutMillis = timeout.toMillis();
    this.graceNanos = Math.min(timeout.toNanos(), AT_CAP_GRACE.toNanos());
    this.maxConnections = maxConnections;
    this.scheduler = scheduler;
  }

  @Override
  public void onOpened(Connection connection) {
    if (connection instanceof HttpConnection http) {
      Watch w = new Watch(http, System.nanoTime());
      open.put(http, w);
      w.next();
      if (open.size() >= maxConnections) {
        lookForRoomSoon();
      }
    }
  }

  @Override
  public void onClosed(Connection connection) {
    if (connection instanceof HttpConnection http) {
      open.remove(http); // its watch notices at its next look and stops
    }
  }

  private void lookForRoomSoon() {
    if (roomLookScheduled.compareAndSet(false, true)) {
      scheduler.schedule(this::makeRoom, graceNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** At the cap: closes the connections that have waited for their headers longer than the grace. */
  private void makeRoom() {
    roomLookScheduled.set(false);
    if (open.size() < maxConnections) {
      return;
    }
    long now = System.nanoTime();
    List<Watch> waiting = open.values().stream()
        .filter(w -> w.waitingForHeadersSince(now) <= now - graceNanos)
        .toList();
    waiting.forEach(w -> w.http.getEndPoint().close());
    closedAtCap += waiting.size();
    if (closedAtCap > 0 && now - lastWarnNanos >= WARN_EVERY.toNanos()) {
      // an attack (or a broken client fleet): once a minute, not once a second
      LOG.warn("at maxConnections ({}): closed {} connections that waited longer than {} ms for their request"
          + " headers, to make room", maxConnections, closedAtCap, TimeUnit.NANOSECONDS.toMillis(graceNanos));
      closedAtCap = 0;
      lastWarnNanos = now;
    }
    lookForRoomSoon(); // the cap may hold on: look again after the grace (returns at once below it)
  }

  /** One connection's looks; runs on the scheduler thread, a few field reads each. */
  private final class Watch implements Runnable {
    private final HttpConnection http;
    private final long openedNanos;
    // written by the looks, read by makeRoom (both on the scheduler, which may have threads)
    private volatile long requestsSeen = -1;
    private volatile boolean inHeadersSeen;
    private volatile long lookedNanos;

    Watch(HttpConnection http, long openedNanos) {
      this.http = http;
      this.openedNanos = openedNanos;
    }

    void next() {
      scheduler.schedule(this, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** Whether the connection is now waiting for a request's line and headers. */
    private boolean inHeaders(long requests) {
      HttpParser parser = http.getParser();
      return requests == 0 || !parser.isStart() && parser.inHeaderState();
    }

    /**
     * Since when the connection has waited for headers, as far as the looks tell: from its opening
     * for its first request; for a later request from the look that found it in that request's
     * headers; {@code now} (no wait) when it is not waiting or no look has seen it waiting.
     */
    long waitingForHeadersSince(long now) {
      long requests = http.getMessagesIn(); // counts requests whose headers are complete
      if (!http.getEndPoint().isOpen() || !inHeaders(requests)) {
        return now;
      }
      if (requests == 0) {
        return openedNanos;
      }
      return inHeadersSeen && requestsSeen == requests ? lookedNanos : now;
    }

    @Override
    public void run() {
      if (!http.getEndPoint().isOpen()) {
        open.remove(http);
        return;
      }
      long requests = http.getMessagesIn();
      boolean inHeaders = inHeaders(requests);
      if (inHeaders && inHeadersSeen && requests == requestsSeen) {
        LOG.debug("closing {}: request headers still incomplete after {} ms", http.getEndPoint(), timeoutMillis);
        http.getEndPoint().close();
        return;
      }
      lookedNanos = System.nanoTime();
      requestsSeen = requests;
      inHeadersSeen = inHeaders;
      next();
    }
  }
}
