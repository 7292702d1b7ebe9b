package io.wharf.server.http;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.error.UpstreamIOException;
import io.wharf.core.manifest.ManifestParser;
import io.wharf.core.repository.Actor;
import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Warnings;
import io.wharf.core.storage.StorageFullException;
import io.wharf.server.auth.AccessControl;
import io.wharf.server.auth.ApiCall;
import io.wharf.server.auth.UnauthorizedException;
import io.wharf.server.events.EventSink;
import io.wharf.server.metrics.RequestMetrics;
import io.wharf.server.routing.RepositoryRouter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OCI Distribution API (Docker Registry HTTP API V2) as a Jakarta Servlet 6, so it mounts in
 * any servlet container: at {@code /*} or at {@code /v2/*} of a context.
 *
 * <pre>
 * Registry registry = Registry.of(HostedRepository.builder("docker-hosted", new FilesystemDriver(dir)).build());
 * ServletContextHandler context = new ServletContextHandler();
 * context.addServlet(new ServletHolder(new RegistryServlet(registry)), "/v2/*");
 * </pre>
 *
 * <p>Each endpoint lives in a small class ({@link ManifestEndpoints}, {@link BlobEndpoints},
 * {@link UploadEndpoints}, {@link ListEndpoints}); this class only routes and turns exceptions
 * into error responses through {@link ErrorResponses}.
 *
 * <p>Security is an {@link AccessControl}, asked after routing and before any endpoint runs;
 * without one, everything is allowed (anonymous pull and push).
 */
public class RegistryServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(RegistryServlet.class);
  static final String API_VERSION_HEADER = "Docker-Distribution-API-Version";
  static final String API_VERSION = "registry/2.0";
  private static final byte[] EMPTY_JSON_OBJECT = {'{', '}'};
  /**
   * Request bodies up to this size are read and dropped after an error answer (see writeError):
   * twice the largest body refused for its size alone (a manifest over
   * {@link ManifestParser#MAX_MANIFEST_BYTES}), so a client that sends such a body in full before
   * it reads learns why; small enough that refusing a large upload does not mean receiving it.
   */
  private static final long DRAIN_LIMIT = 2L * ManifestParser.MAX_MANIFEST_BYTES;
  /** A {@code .} or {@code ..} segment, or a {@code ;} path parameter, in the raw request path. */
  private static final Pattern NON_CANONICAL = Pattern.compile("(?:^|/)\\.{1,2}(?:/|$)|;");

  private final transient RepositoryRouter router;
  private final transient AccessControl access;
  private final transient EventSink events;

  /**
   * Serves the registry's default repository at {@code /v2/} (the embedding case).
   *
   * @param registry the registry whose default repository is served
   */
  public RegistryServlet(Registry registry) {
    this(registry, AccessControl.ALLOW_ALL);
  }

  /**
   * Serves the registry's default repository at {@code /v2/}, secured by {@code access}.
   *
   * @param registry the registry whose default repository is served
   * @param access who may do what
   */
  public RegistryServlet(Registry registry, AccessControl access) {
    this(RepositoryRouter.defaultOnly(Objects.requireNonNull(registry, "registry")), access);
  }

  /**
   * Routes requests to repositories by port, base path, host and name (the standalone server).
   *
   * @param router the repositories and how requests reach them
   */
  public RegistryServlet(RepositoryRouter router) {
    this(router, AccessControl.ALLOW_ALL);
  }

  /**
   * Routes requests as {@link #RegistryServlet(RepositoryRouter)} and lets {@code access} decide who may.
   *
   * @param router the repositories and how requests reach them
   * @param access who may do what
   */
  public RegistryServlet(RepositoryRouter router, AccessControl access) {
    this(router, access, EventSink.NONE);
  }

  /**
   * As {@link #RegistryServlet(RepositoryRouter, AccessControl)}, publishing pushes, pulls, deletes
   * and mounts to {@code events}.
   *
   * @param router the repositories and how requests reach them
   * @param access who may do what
   * @param events where events go
   */
  public RegistryServlet(RepositoryRouter router, AccessControl access, EventSink events) {
    this.router = Objects.requireNonNull(router, "router");
    this.access = Objects.requireNonNull(access, "access");
    this.events = Objects.requireNonNull(events, "events");
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    resp.setHeader(API_VERSION_HEADER, API_VERSION);
    resp.setHeader("X-Content-Type-Options", "nosniff");
    boolean head = "HEAD".equals(req.getMethod());
    Warnings.begin();
    try {
      String path = decodedPath(req);
      RepositoryRouter.Target target = router.route(req.getContextPath(), path, req.getLocalPort(), req.getServerName());
      if (target == null) {
        throw ErrorCode.ROUTE_UNKNOWN.exception("not an API path: " + path + " (the API lives under /v2/)");
      }
      RequestMetrics.routed(target.route().kind());
      ApiCall call = new ApiCall(req, resp, path, router, target);
      if (access.serve(call)) {
        return;
      }
      HttpServletRequest request = access.authorize(call) == AccessControl.Verdict.ALLOW_WITHOUT_MOUNT
          ? withoutMount(req) : req;
      // who, for what repositories record (tag history) and tell (quota warnings), and for events
      Actor.begin(access.user(call), req.getRemoteAddr(), req.getHeader("User-Agent"));
      dispatch(new Exchange(request, resp, target.route(), target.repository(), target.basePath(), target.namePrefix(),
          events));
      access.completed(call, resp.getStatus());
    } catch (RegistryException e) {
      writeError(req, resp, e, head);
    } catch (UpstreamIOException e) {
      // A proxy's upstream failed under a blob being sent: its error (502/503/504) if nothing
      // was sent yet. Once the response is committed no error can be written; Jetty then ends
      // the exchange short of its Content-Length and aborts the connection, so the client sees
      // a truncated body, never a complete one.
      LOG.debug("{} {} failed upstream: {}", req.getMethod(), req.getRequestURI(), e.getMessage());
      writeError(req, resp, e.error(), head);
    } catch (StorageFullException e) {
      LOG.warn("{} {} refused: {}", req.getMethod(), req.getRequestURI(), e.getMessage());
      writeError(req, resp, ErrorResponses.storageFull(e), head);
    } catch (IOException e) {
      // Almost always the client: a body cut off, a connection closed mid-download.
      LOG.debug("{} {} failed: {}", req.getMethod(), req.getRequestURI(), e.toString());
      writeError(req, resp, ErrorCode.BLOB_UPLOAD_INVALID.exception("request failed: " + e.getMessage()), head);
    } catch (RuntimeException e) {
      LOG.error("{} {} failed", req.getMethod(), req.getRequestURI(), e);
      writeError(req, resp, ErrorCode.UNKNOWN.exception("internal error; the server log has the details"), head);
    } finally {
      Warnings.end();
      Actor.end();
    }
  }

  /**
   * Writes an error response. An error often comes before the request body was read (a PATCH to
   * an unknown upload, a chunk over the quota, a manifest declared over the size cap). A client
   * still sending that body reads no response if the server closes the connection under it: it
   * sees a reset or a broken pipe instead of the error (Python's http.client, for one, sends the
   * whole body before it reads). So the answer goes out at once (a client that waits for it gets
   * it), and then a body of up to {@link #DRAIN_LIMIT} is read and dropped (nothing is stored);
   * the connection stays usable. A larger one, or one the client is waiting to send
   * ({@code Expect: 100-continue}: reading it would invite the very body being refused), gets
   * {@code Connection: close} and is not read.
   */
  private static void writeError(HttpServletRequest req, HttpServletResponse resp, RegistryException e, boolean head)
      throws IOException {
    boolean body = req.getContentLengthLong() > 0 || req.getHeader("Transfer-Encoding") != null;
    boolean drain = body && req.getHeader("Expect") == null && req.getContentLengthLong() <= DRAIN_LIMIT;
    if (body && !drain) {
      resp.setHeader("Connection", "close");
    }
    if (e instanceof UnauthorizedException u && !resp.isCommitted()) {
      resp.setHeader("WWW-Authenticate", u.challenge());
    }
    ErrorResponses.write(resp, e, head);
    if (drain) {
      resp.flushBuffer();
      drain(req);
    }
  }

  /**
   * Reads and drops what is left of the request body, up to {@link #DRAIN_LIMIT}. A body beyond
   * that, or one cut off, stays unread, and Jetty closes the connection after the answer.
   */
  private static void drain(HttpServletRequest req) {
    try {
      InputStream in = req.getInputStream();
      byte[] buf = new byte[16 * 1024];
      long total = 0;
      for (int n; total <= DRAIN_LIMIT && (n = in.read(buf)) >= 0; ) {
        total += n;
      }
    } catch (IOException | RuntimeException e) {
      // cut off, or already taken as a reader
    }
  }

  /** The request without its {@code mount} and {@code from} parameters: a plain upload. */
  private static HttpServletRequest withoutMount(HttpServletRequest req) {
    return new HttpServletRequestWrapper(req) {
      @Override
      public String getQueryString() {
        String qs = super.getQueryString();
        if (qs == null) {
          return null;
        }
        StringBuilder kept = new StringBuilder();
        for (String pair : qs.split("&")) {
          String key = pair.contains("=") ? pair.substring(0, pair.indexOf('=')) : pair;
          try {
            key = java.net.URLDecoder.decode(key, java.nio.charset.StandardCharsets.UTF_8);
          } catch (IllegalArgumentException e) {
            // kept as it is; Exchange.query does the same
          }
          if (!key.equals("mount") && !key.equals("from")) {
            kept.append(kept.length() == 0 ? "" : "&").append(pair);
          }
        }
        return kept.length() == 0 ? null : kept.toString();
      }
    };
  }

  private static void dispatch(Exchange x) throws IOException {
    String method = x.method();
    switch (x.route.kind()) {
      case BASE -> {
        require(x, "GET", "HEAD");
        x.send(200, "application/json", EMPTY_JSON_OBJECT);
      }
      case CATALOG -> {
        require(x, "GET", "HEAD");
        ListEndpoints.catalog(x);
      }
      case TAGS -> {
        require(x, "GET", "HEAD");
        ListEndpoints.tags(x);
      }
      case REFERRERS -> {
        require(x, "GET", "HEAD");
        ListEndpoints.referrers(x);
      }
      case MANIFEST -> {
        switch (method) {
          case "GET", "HEAD" -> ManifestEndpoints.get(x);
          case "PUT" -> ManifestEndpoints.put(x);
          case "DELETE" -> ManifestEndpoints.delete(x);
          default -> throw notAllowed(x, "GET, HEAD, PUT, DELETE");
        }
      }
      case BLOB -> {
        switch (method) {
          case "GET", "HEAD" -> BlobEndpoints.get(x);
          case "DELETE" -> BlobEndpoints.delete(x);
          default -> throw notAllowed(x, "GET, HEAD, DELETE");
        }
      }
      case UPLOADS -> {
        require(x, "POST");
        UploadEndpoints.start(x);
      }
      case UPLOAD -> {
        switch (method) {
          case "GET", "HEAD" -> UploadEndpoints.status(x);
          case "PATCH" -> UploadEndpoints.patch(x);
          case "PUT" -> UploadEndpoints.finish(x);
          case "DELETE" -> UploadEndpoints.cancel(x);
          default -> throw notAllowed(x, "GET, PATCH, PUT, DELETE");
        }
      }
      case UNKNOWN -> throw ErrorCode.ROUTE_UNKNOWN.exception("no API endpoint at " + x.req.getRequestURI());
    }
  }

  private static void require(Exchange x, String... methods) {
    for (String m : methods) {
      if (m.equals(x.method())) {
        return;
      }
    }
    throw notAllowed(x, String.join(", ", methods));
  }

  private static RegistryException notAllowed(Exchange x, String allowed) {
    x.resp.setHeader("Allow", allowed);
    return ErrorCode.METHOD_NOT_ALLOWED.exception(x.method() + " is not allowed here; allowed: " + allowed);
  }

  /**
   * The percent-decoded path relative to the context: servlet path + path info. Jetty hands the
   * servlet a normalised path, so {@code /v2/a/../b/manifests/x} would be served as image
   * {@code b} and {@code /v2/a;p/...} as {@code a}; a request whose own path has dot segments or
   * path parameters names no valid image, so it is refused instead of silently re-targeted.
   */
  private static String decodedPath(HttpServletRequest req) {
    String raw = req.getRequestURI();
    if (raw != null && NON_CANONICAL.matcher(raw).find()) {
      throw ErrorCode.NAME_INVALID.exception(
          "invalid path " + raw + ": image names have no \".\" or \"..\" segments and no \";\" parameters");
    }
    String servletPath = req.getServletPath() == null ? "" : req.getServletPath();
    String pathInfo = req.getPathInfo() == null ? "" : req.getPathInfo();
    return servletPath + pathInfo;
  }
}
