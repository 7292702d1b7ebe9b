package io.wharf.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.wharf.server.routing.Route;
import jakarta.servlet.ServletRequest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
 * this request's {@link Exchange} (found as a request attribute). Requests no one marks are
 * {@link RouteHandler#OTHER}.
 *
 * <p>Cheap on the hot path: one object per request (the exchange, which is also the callback),
 * meters looked up in arrays by (handler, method) and status code, created on first use.
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
  /** Request attribute under which the measuring handler leaves the request's exchange. */
  static final String ATTRIBUTE = RequestMetrics.class.getName() + ".exchange";
  private static final String[] METHODS = {"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OTHER"};
  private static final int OTHER_METHOD = METHODS.length - 1;
  private static final RouteHandler[] HANDLERS = RouteHandler.values();
  private static final int MIN_STATUS = 100;
  private static final int MAX_STATUS = 599;
  /** distribution's buckets (Prometheus's defaults), plus the minutes a large layer takes. */
  private static final Duration[] BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
      Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(300)};

  private final MeterRegistry registry;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger uploadsInFlight = new AtomicInteger();
  /** Per (handler, method): the meters that do not depend on the status. */
  private final AtomicReferenceArray<Cell> cells = new AtomicReferenceArray<>(HANDLERS.length * METHODS.length);
  private final DistributionSummary[] requestSizes = new DistributionSummary[HANDLERS.length];
  private final DistributionSummary[] responseSizes = new DistributionSummary[HANDLERS.length];
  private final Counter uploadsStarted;
  private final Counter uploadsCompleted;
  private final Counter uploadsCancelled;

  /** The meters of one (handler, method), with its request counters by status code, created on first use. */
  private static final class Cell {
    final Timer duration;
    final AtomicReferenceArray<Counter> byStatus = new AtomicReferenceArray<>(MAX_STATUS - MIN_STATUS + 1);

    Cell(Timer duration) {
      this.duration = duration;
    }
  }

  RequestMetrics(MeterRegistry registry) {
    this.registry = registry;
    registry.gauge("registry.http.in_flight_requests", inFlight);
    registry.gauge("registry.upload.requests_in_flight", uploadsInFlight);
    for (RouteHandler h : HANDLERS) {
      requestSizes[h.ordinal()] = DistributionSummary.builder("registry.http.request.size").baseUnit("bytes")
          .description("Bytes of request bodies read").tag("handler", h.label()).register(registry);
      responseSizes[h.ordinal()] = DistributionSummary.builder("registry.http.response.size").baseUnit("bytes")
          .description("Bytes of response bodies written").tag("handler", h.label()).register(registry);
    }
    uploadsStarted = Counter.builder("registry.upload.sessions.started")
        .description("Blob upload sessions started on this node").register(registry);
    uploadsCompleted = Counter.builder("registry.upload.sessions.finished").tag("outcome", "completed")
        .description("Blob upload sessions completed or cancelled on this node").register(registry);
    uploadsCancelled = Counter.builder("registry.upload.sessions.finished").tag("outcome", "cancelled")
        .description("Blob upload sessions completed or cancelled on this node").register(registry);
  }

  /**
   * Tells the measuring handler which route {@code request} took. A no-op where nothing measures
   * (the servlet embedded elsewhere).
   */
  public static void routed(ServletRequest request, Route.Kind kind) {
    if (request.getAttribute(ATTRIBUTE) instanceof Exchange x) {
      x.routed(RouteHandler.of(kind));
    }
  }

  /** The handler that measures everything {@code next} serves. */
  public Handler.Wrapper handler() {
    return new Handler.Wrapper() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) throws Exception {
        Exchange x = new Exchange(request, response, callback);
        request.setAttribute(ATTRIBUTE, x);
        inFlight.incrementAndGet();
        boolean handled;
        try {
          handled = super.handle(request, response, x);
        } catch (Throwable t) {
          x.record(500);
          throw t;
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
      Timer t = Timer.builder("registry.http.request.duration")
          .description("Time from the request's arrival until its response is complete")
          .tag("handler", handler.label()).tag("method", METHODS[method])
          .serviceLevelObjectives(BUCKETS)
          .register(registry);
      cells.compareAndSet(i, null, new Cell(t));
      c = cells.get(i);
    }
    return c;
  }

  private Counter requests(Cell cell, RouteHandler handler, int method, int status) {
    if (status < MIN_STATUS || status > MAX_STATUS) {
      return counter(handler, method, String.valueOf(status));
    }
    Counter c = cell.byStatus.get(status - MIN_STATUS);
    if (c == null) {
      c = counter(handler, method, String.valueOf(status)); // the registry returns the same meter to racers
      cell.byStatus.set(status - MIN_STATUS, c);
    }
    return c;
  }

  private Counter counter(RouteHandler handler, int method, String code) {
    return Counter.builder("registry.http.requests").description("HTTP requests by handler, method and status")
        .tag("handler", handler.label()).tag("method", METHODS[method]).tag("code", code).register(registry);
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
      cell.duration.record(nanos, TimeUnit.NANOSECONDS);
      requests(cell, h, m, status).increment();
      requestSizes[h.ordinal()].record(Request.getContentBytesRead(request));
      responseSizes[h.ordinal()].record(Response.getContentBytesWritten(response));
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
