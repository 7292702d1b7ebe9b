package io.wharf.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Summary;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.wharf.server.routing.Route;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The one place where HTTP requests are measured: a Jetty handler around everything the server
 * serves. Each request is timed from the moment Jetty hands it over until its response is
 * complete, and counted by handler, method and status code, with the bytes it read and wrote.
 *
 * <p>The handler label comes from the router's own decision, not from parsing the path a second
 * time: the registry servlet calls {@link #routed} once it has routed the request, which marks
 * this request's {@link Exchange}. Requests no one marks are {@link RouteHandler#OTHER}.
 *
 * <p>Cheap on the hot path, because a small GET is the registry's most frequent request and the
 * metrics must not cost it more than a few percent (measured: {@code bench/metrics-cost.sh}). One
 * object per request (the exchange, which is also the callback), found by the servlet through a
 * thread-local while Jetty runs the handler chain on this thread (a request attribute would cost
 * each request a map). The per-request meters are Prometheus client's own (striped adders, fixed
 * buckets), not Micrometer's, whose timers and summaries also keep a rotating maximum that reads
 * the clock and spins on a shared cell for every request; no one charts the maximum. The data
 * points of each (handler, method) and status code are looked up in arrays, made on first use.
 *
 * <pre>
 * registry_http_requests_total{handler,method,code}
 * registry_http_request_duration_seconds{handler,method}    histogram
 * registry_http_in_flight_requests
 * registry_http_request_size_bytes{handler} / registry_http_response_size_bytes{handler}   count and sum
 * registry_upload_requests_in_flight
 * registry_upload_sessions_started_total / registry_upload_sessions_finished_total{outcome}
 * </pre>
 */
public final class RequestMetrics {
  /** The request this thread is handling, while the handler chain runs (see {@link #routed}). */
  private static final ThreadLocal<Exchange> CURRENT = new ThreadLocal<>();
  private static final String[] METHODS = {"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OTHER"};
  private static final int OTHER_METHOD = METHODS.length - 1;
  private static final RouteHandler[] HANDLERS = RouteHandler.values();
  private static final int MIN_STATUS = 100;
  private static final int MAX_STATUS = 599;
  /** distribution's buckets (Prometheus's defaults) in seconds, plus the minutes a large layer takes. */
  private static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger uploadsInFlight = new AtomicInteger();
  private final Histogram durations;
  private final io.prometheus.metrics.core.metrics.Counter requests;
  /** Per (handler, method): the data points that do not depend on the status. */
  private final AtomicReferenceArray<Cell> cells = new AtomicReferenceArray<>(HANDLERS.length * METHODS.length);
  private final DistributionDataPoint[] requestSizes = new DistributionDataPoint[HANDLERS.length];
  private final DistributionDataPoint[] responseSizes = new DistributionDataPoint[HANDLERS.length];
  private final Counter uploadsStarted;
  private final Counter uploadsCompleted;
  private final Counter uploadsCancelled;

  /** The data points of one (handler, method), with its request counters by status code, made on first use. */
  private static final class Cell {
    final DistributionDataPoint duration;
    final AtomicReferenceArray<CounterDataPoint> byStatus = new AtomicReferenceArray<>(MAX_STATUS - MIN_STATUS + 1);

    Cell(DistributionDataPoint duration) {
      this.duration = duration;
    }
  }

  /**
   * @param registry the Micrometer registry for the rare meters (gauges, upload counters)
   * @param prometheus the registry it scrapes, for the per-request meters
   */
  RequestMetrics(MeterRegistry registry, PrometheusRegistry prometheus) {
    registry.gauge("registry.http.in_flight_requests", inFlight);
    registry.gauge("registry.upload.requests_in_flight", uploadsInFlight);
    durations = Histogram.builder().name("registry_http_request_duration_seconds").unit(Unit.SECONDS)
        .help("Time from the request's arrival until its response is complete").labelNames("handler", "method")
        .classicOnly().classicUpperBounds(BUCKETS).withoutExemplars().register(prometheus);
    requests = io.prometheus.metrics.core.metrics.Counter.builder().name("registry_http_requests_total")
        .help("HTTP requests by handler, method and status").labelNames("handler", "method", "code")
        .withoutExemplars().register(prometheus);
    Summary requestSize = Summary.builder().name("registry_http_request_size_bytes").unit(Unit.BYTES)
        .help("Bytes of request bodies read").labelNames("handler").withoutExemplars().register(prometheus);
    Summary responseSize = Summary.builder().name("registry_http_response_size_bytes").unit(Unit.BYTES)
        .help("Bytes of response bodies written").labelNames("handler").withoutExemplars().register(prometheus);
    for (RouteHandler h : HANDLERS) {
      requestSizes[h.ordinal()] = requestSize.labelValues(h.label());
      responseSizes[h.ordinal()] = responseSize.labelValues(h.label());
    }
    uploadsStarted = Counter.builder("registry.upload.sessions.started")
        .description("Blob upload sessions started on this node").register(registry);
    uploadsCompleted = Counter.builder("registry.upload.sessions.finished").tag("outcome", "completed")
        .description("Blob upload sessions completed or cancelled on this node").register(registry);
    uploadsCancelled = Counter.builder("registry.upload.sessions.finished").tag("outcome", "cancelled")
        .description("Blob upload sessions completed or cancelled on this node").register(registry);
  }

  /**
   * Tells the measuring handler which route the request this thread handles took. A no-op where
   * nothing measures (the servlet embedded elsewhere). Call it on the thread that received the
   * request, before any asynchronous processing.
   *
   * @param kind the endpoint the request was routed to
   */
  public static void routed(Route.Kind kind) {
    Exchange x = CURRENT.get();
    if (x != null) {
      x.routed(RouteHandler.of(kind));
    }
  }

  /**
   * The handler that measures everything {@code next} serves.
   *
   * @return a handler to wrap around the main port's handlers
   */
  public Handler.Wrapper handler() {
    return new Handler.Wrapper() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) throws Exception {
        Exchange x = new Exchange(request, response, callback);
        inFlight.incrementAndGet();
        boolean handled;
        CURRENT.set(x);
        try {
          handled = super.handle(request, response, x);
        } catch (Throwable t) {
          x.record(500);
          throw t;
        } finally {
          CURRENT.remove();
        }
        if (!handled) {
          x.record(404); // Jetty answers 404 on the original callback
        }
        return handled;
      }
    };
  }

  private Cell cell(RouteHandler handler, int method) {
    int i = handler.ordinal() * METHODS.length + method;
    Cell c = cells.get(i);
    if (c == null) {
      cells.compareAndSet(i, null, new Cell(durations.labelValues(handler.label(), METHODS[method])));
      c = cells.get(i);
    }
    return c;
  }

  private CounterDataPoint requests(Cell cell, RouteHandler handler, int method, int status) {
    if (status < MIN_STATUS || status > MAX_STATUS) {
      return requests.labelValues(handler.label(), METHODS[method], String.valueOf(status));
    }
    CounterDataPoint c = cell.byStatus.get(status - MIN_STATUS);
    if (c == null) {
      // the metric returns the same data point to racers
      c = requests.labelValues(handler.label(), METHODS[method], String.valueOf(status));
      cell.byStatus.set(status - MIN_STATUS, c);
    }
    return c;
  }
  private static int method(String m) {
    return switch (m) {
      case "GET" -> 0;
      case "HEAD" -> 1;
      case "PUT" -> 2;
      case "POST" -> 3;
      case "PATCH" -> 4;
      case "DELETE" -> 5;
      default -> OTHER_METHOD;
    };
  }

  /** One request being measured; also the callback Jetty completes when the response is done. */
  final class Exchange implements Callback {
    private static final AtomicIntegerFieldUpdater<Exchange> RECORDED =
        AtomicIntegerFieldUpdater.newUpdater(Exchange.class, "recorded");
    private final Request request;
    private final Response response;
    private final Callback callback;
    private final long start = System.nanoTime();
    private volatile RouteHandler handler = RouteHandler.OTHER;
    private volatile int recorded;

    Exchange(Request request, Response response, Callback callback) {
      this.request = request;
      this.response = response;
      this.callback = callback;
    }

    void routed(RouteHandler h) {
      if (h.isUpload() && handler != h) {
        uploadsInFlight.incrementAndGet();
      }
      handler = h;
    }

    @Override
    public void succeeded() {
      record(response.getStatus());
      callback.succeeded();
    }

    @Override
    public void failed(Throwable x) {
      // a response that failed before it was committed goes out as a 500
      record(response.isCommitted() ? response.getStatus() : 500);
      callback.failed(x);
    }

    @Override
    public InvocationType getInvocationType() {
      return callback.getInvocationType();
    }

    void record(int status) {
      if (!RECORDED.compareAndSet(this, 0, 1)) {
        return;
      }
      long nanos = System.nanoTime() - start;
      inFlight.decrementAndGet();
      RouteHandler h = handler;
      int m = method(request.getMethod());
      Cell cell = cell(h, m);
      cell.duration.observe(nanos / 1e9);
      requests(cell, h, m, status).inc();
      requestSizes[h.ordinal()].observe(Request.getContentBytesRead(request));
      responseSizes[h.ordinal()].observe(Response.getContentBytesWritten(response));
      if (h.isUpload()) {
        uploadsInFlight.decrementAndGet();
        if (h == RouteHandler.BLOB_UPLOAD && status == 202) {
          uploadsStarted.increment();
        } else if (status == 201) {
          uploadsCompleted.increment(); // a monolithic POST or the closing PUT
          if (h == RouteHandler.BLOB_UPLOAD) {
            uploadsStarted.increment();
          }
        } else if (m == 5 && status == 204) {
          uploadsCancelled.increment();
        }
      }
    }
  }
}
