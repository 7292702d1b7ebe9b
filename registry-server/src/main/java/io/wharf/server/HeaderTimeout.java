package io.wharf.server;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
 */
final class HeaderTimeout implements Connection.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(HeaderTimeout.class);

  private final long timeoutMillis;
  private final Scheduler scheduler;

  HeaderTimeout(Duration timeout, Scheduler scheduler) {
    this.timeoutMillis = timeout.toMillis();
    this.scheduler = scheduler;
  }

  @Override
  public void onOpened(Connection connection) {
    if (connection instanceof HttpConnection http) {
      new Watch(http).next();
    }
  }

  @Override
  public void onClosed(Connection connection) {
    // the watch notices at its next look and stops
  }

  /** One connection's looks; runs on the scheduler thread, a few field reads each. */
  private final class Watch implements Runnable {
    private final HttpConnection http;
    private long requestsSeen = -1;
    private boolean inHeadersSeen;

    Watch(HttpConnection http) {
      this.http = http;
    }

    void next() {
      scheduler.schedule(this, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void run() {
      if (!http.getEndPoint().isOpen()) {
        return;
      }
      long requests = http.getMessagesIn(); // counts requests whose headers are complete
      HttpParser parser = http.getParser();
      boolean inHeaders = requests == 0 || !parser.isStart() && parser.inHeaderState();
      if (inHeaders && inHeadersSeen && requests == requestsSeen) {
        LOG.debug("closing {}: request headers still incomplete after {} ms", http.getEndPoint(), timeoutMillis);
        http.getEndPoint().close();
        return;
      }
      requestsSeen = requests;
      inHeadersSeen = inHeaders;
      next();
    }
  }
}
