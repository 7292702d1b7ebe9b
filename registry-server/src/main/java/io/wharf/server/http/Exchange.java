package io.wharf.server.http;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.model.ImageName;
import io.wharf.core.repository.Actor;
import io.wharf.core.repository.Page;
import io.wharf.core.repository.Repository;
import io.wharf.core.repository.Warnings;
import io.wharf.server.events.Event;
import io.wharf.server.events.EventSink;
import io.wharf.server.routing.Route;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * One API request on its way through the endpoints: the servlet request and response, the
 * parsed route, the repository that serves it, and the base path under which {@code /v2/} was
 * found (so that every {@code Location} and {@code Link} we send points back at the same place,
 * whether the servlet is mounted at the root, at {@code /v2/*} or under a prefix).
 */
final class Exchange {
  final HttpServletRequest req;
  final HttpServletResponse resp;
  final Route route;
  final Repository repository;
  private final String basePath;
  private final String namePrefix;
  private final EventSink events;

  Exchange(HttpServletRequest req, HttpServletResponse resp, Route route, Repository repository, String basePath,
      String namePrefix) {
    this(req, resp, route, repository, basePath, namePrefix, EventSink.NONE);
  }

  /**
   * @param events where the endpoints' events go (their actor is the request's {@link Actor})
   */
  Exchange(HttpServletRequest req, HttpServletResponse resp, Route route, Repository repository, String basePath,
      String namePrefix, EventSink events) {
    this.req = req;
    this.resp = resp;
    this.route = route;
    this.repository = repository;
    this.basePath = basePath;
    this.namePrefix = namePrefix;
    this.events = events;
  }

  /** Whether an event of {@code action} may be wanted by anyone (building one is skipped otherwise). */
  boolean wants(Event.Action action) {
    return events.wants(action);
  }

  /**
   * Publishes an event about {@code image} in this request's repository. Returns once it is
   * stored: call it before the success answer is sent.
   *
   * @param kind {@code manifests} or {@code blobs}: where {@code digest} is fetched, for the event's URL
   */
  void emit(Event.Action action, ImageName image, String tag, String digest, String mediaType, Long size,
      String fromRepository, String kind) {
    if (!events.wants(action)) {
      return;
    }
    String url = digest == null ? null : RequestOrigin.of(req) + v2Path(clientName(image) + "/" + kind + "/" + digest);
    events.publish(Event.of(action, repository.name(), image.value(), tag, digest, mediaType, size, fromRepository, url,
        new Event.Actor(Actor.current(), req.getRemoteAddr(), req.getHeader("User-Agent")),
        new Event.Request(null, req.getHeader("Host"), req.getMethod()), events.node(), events.now()));
  }


  String method() {
    return req.getMethod();
  }

  boolean isHead() {
    return "HEAD".equals(req.getMethod());
  }

  /** The image name of the route, validated ({@code NAME_INVALID} otherwise). */
  ImageName image() {
    return ImageName.of(route.name());
  }

  /**
   * The image name as the client wrote it: with path routing, {@code docker-hosted/team/app}
   * for the repository's {@code team/app}.
   */
  String clientName(ImageName image) {
    return namePrefix + image.value();
  }

  /** A path under this API's {@code /v2/}, e.g. {@code v2Path("team/app/blobs/sha256:…")}. */
  String v2Path(String rest) {
    return basePath + "/v2/" + rest;
  }

  /** A query-string parameter (never the body), or {@code null} if absent or empty. */
  String query(String name) {
    return QueryParameters.get(req, name);
  }

  /** The {@code n} parameter: absent is unlimited; anything but a non-negative integer is an error. */
  int pageSize() {
    String n = query("n");
    if (n == null) {
      return Page.UNLIMITED;
    }
    try {
      int v = Integer.parseInt(n);
      if (v < 0) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw ErrorCode.PAGINATION_NUMBER_INVALID.exception("n must be a non-negative integer, got " + n);
    }
  }

  /** Sends {@code Link: <…?n=&last=>; rel="next"} when a page is full and more follow. */
  void linkNext(String listPath, Page page, int n) {
    if (page.hasMore() && page.lastItem() != null) {
      String last = URLEncoder.encode(page.lastItem(), StandardCharsets.UTF_8);
      resp.setHeader("Link", "<" + v2Path(listPath) + "?n=" + n + "&last=" + last + ">; rel=\"next\"");
    }
  }

  /**
   * Adds a {@code Warning: 299 - "text"} header for each warning repositories raised so far
   * (see {@link Warnings}). Called right before a response's headers are committed.
   */
  static void applyWarnings(HttpServletResponse resp) {
    for (String w : Warnings.take()) {
      resp.addHeader("Warning", "299 - \"" + w.replace('"', '\'') + "\"");
    }
  }

  /** Writes a small body with its length; HEAD gets the headers only. */
  void send(int status, String contentType, byte[] body) throws IOException {
    applyWarnings(resp);
    resp.setStatus(status);
    if (contentType != null) {
      resp.setContentType(contentType);
    }
    resp.setContentLength(body.length);
    if (!isHead()) {
      resp.getOutputStream().write(body);
    }
  }

  void sendJson(Object value) throws IOException {
    send(200, "application/json", Json.write(value));
  }

  /** An empty response with the given status (201, 202, 204). */
  void sendEmpty(int status) {
    applyWarnings(resp);
    resp.setStatus(status);
    resp.setContentLength(0);
  }
}
