package io.wharf.server.admin;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.server.auth.RegistrySecurity;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Nexus Repository 3's REST API ({@code /service/rest/v1/...}, as 3.96 CE answers it) over the
 * management services, so scripts and tools written for Nexus read Wharf. This class only
 * authenticates, routes and writes JSON; what is shown to whom is decided by the services.
 *
 * <pre>
 * GET /v1/repositories                         the repositories the caller may read
 * GET /v1/repositories/{name}                  one of them (404 otherwise)
 * GET /v1/repositories/docker/{type}/{name}    its settings (admin)
 * GET /v1/repositorySettings                   the settings of every repository the caller administers
 * GET /v1/status                               200 if every blob store answers reads, else 503
 * GET /v1/status/writable                      200 if every blob store takes writes, else 503
 * GET /v1/status/check                         the named checks (administrators)
 * any /v1/script...                            410: Wharf runs no Groovy scripts
 * </pre>
 *
 * <p>Credentials: HTTP Basic with the users of {@code security:} (wrong ones: 401, too many: 429),
 * none for anonymous. Errors have Nexus's siesta shape
 * {@code {"status-code":404,"siesta-faultid":"…","status-message":"NOT_FOUND"}} plus a
 * {@code message}; a 401 carries Nexus's challenge {@value #CHALLENGE}.
 */
public final class NexusRestServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(NexusRestServlet.class);
  public static final String PATH = "/service/rest";
  static final String CHALLENGE = "BASIC realm=\"Sonatype Nexus Repository Manager\"";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final transient RepositoryService repositories;
  private final transient HealthService health;
  private final transient RegistrySecurity security;
  private final transient URI publicUrl;

  /**
   * @param security null: the server is open; every caller is anonymous and may everything
   * @param publicUrl {@code server.publicUrl}; null: repository URLs are built from each request
   */
  public NexusRestServlet(RepositoryService repositories, HealthService health, RegistrySecurity security,
      URI publicUrl) {
    this.repositories = Objects.requireNonNull(repositories);
    this.health = Objects.requireNonNull(health);
    this.security = security;
    this.publicUrl = publicUrl;
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    resp.setHeader("X-Content-Type-Options", "nosniff");
    resp.setHeader("Cache-Control", "no-cache, no-store");
    String path = req.getPathInfo() == null ? "/" : req.getPathInfo();
    try {
      route(req, resp, path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path);
    } catch (ManagementException e) {
      error(resp, e.reason().status(), e.getMessage());
    } catch (RegistryException e) {
      // from authentication: wrong credentials (401) or a lockout (429)
      if (e.code() == ErrorCode.TOOMANYREQUESTS && e.detail() instanceof Map<?, ?> m && m.get("retryAfter") != null) {
        resp.setHeader("Retry-After", String.valueOf(m.get("retryAfter")));
      }
      error(resp, e.code().httpStatus(), e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("{} {} failed", req.getMethod(), req.getRequestURI(), e);
      error(resp, 500, "internal error; the server log has the details");
    }
  }

  private void route(HttpServletRequest req, HttpServletResponse resp, String path) throws IOException {
    if (path.equals("/v1/script") || path.startsWith("/v1/script/")) {
      throw new ManagementException(ManagementException.Reason.NOT_SUPPORTED, "Wharf does not run scripts:"
          + " Nexus's Groovy scripting API cannot be emulated; use the REST endpoints or the config file");
    }
    switch (path) {
      case "/v1/status" -> {
        readOnly(req, resp);
        status(resp, health.readable());
        return;
      }
      case "/v1/status/writable" -> {
        readOnly(req, resp);
        status(resp, health.writable());
        return;
      }
      case "/v1/status/check" -> {
        readOnly(req, resp);
        send(resp, health.checks(caller(req)));
        return;
      }
      case "/v1/repositories" -> {
        readOnly(req, resp);
        send(resp, repositories.list(caller(req), base(req)));
        return;
      }
      case "/v1/repositorySettings" -> {
        readOnly(req, resp);
        send(resp, repositories.settings(caller(req), base(req)));
        return;
      }
      default -> { }
    }
    String[] seg = path.substring(1).split("/", -1);
    if (seg.length == 3 && seg[0].equals("v1") && seg[1].equals("repositories") && !seg[2].isEmpty()) {
      readOnly(req, resp);
      send(resp, repositories.get(caller(req), seg[2], base(req)));
      return;
    }
    if (seg.length == 5 && seg[0].equals("v1") && seg[1].equals("repositories") && seg[2].equals(RepositoryService.FORMAT)
        && (seg[3].equals("hosted") || seg[3].equals("proxy") || seg[3].equals("group"))) {
      readOnly(req, resp);
      RepositorySettings s = repositories.settings(caller(req), seg[4], base(req));
      if (!s.type().equals(seg[3])) {
        throw new ManagementException(ManagementException.Reason.NOT_FOUND,
            "repository " + seg[4] + " is a " + s.type() + " repository, not " + seg[3]);
      }
      send(resp, s);
      return;
    }
    throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no REST endpoint at " + PATH + path);
  }

  /**
   * The endpoints of this increment read; repositories are changed in the config file for now.
   * Anything but GET (HEAD) is a 405 naming what is allowed.
   */
  private static void readOnly(HttpServletRequest req, HttpServletResponse resp) {
    if (!req.getMethod().equals("GET") && !req.getMethod().equals("HEAD")) {
      resp.setHeader("Allow", "GET");
      throw new ManagementException(ManagementException.Reason.METHOD_NOT_ALLOWED,
          req.getMethod() + " is not supported here; this endpoint takes GET");
    }
  }

  private Caller caller(HttpServletRequest req) {
    if (security == null) {
      return Caller.ANONYMOUS;
    }
    return Caller.user(security.basicUser(req));
  }

  /** What precedes {@code /repository/<name>} in the URLs clients use: {@code server.publicUrl}, else this request's origin. */
  private String base(HttpServletRequest req) {
    if (publicUrl != null) {
      String s = publicUrl.toString();
      return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
    String scheme = req.getScheme();
    int port = req.getServerPort();
    boolean defaultPort = port <= 0 || port == 80 && "http".equals(scheme) || port == 443 && "https".equals(scheme);
    String host = req.getServerName();
    if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return scheme + "://" + host + (defaultPort ? "" : ":" + port) + req.getContextPath();
  }

  private static void status(HttpServletResponse resp, boolean ok) {
    resp.setStatus(ok ? 200 : 503);
    resp.setContentLength(0);
  }

  private static void send(HttpServletResponse resp, Object body) throws IOException {
    byte[] json = JSON.writeValueAsBytes(body);
    resp.setStatus(200);
    resp.setContentType("application/json");
    resp.setContentLength(json.length);
    resp.getOutputStream().write(json);
  }

  /** Nexus's siesta error body, with Wharf's message beside its fields. */
  static void error(HttpServletResponse resp, int status, String message) throws IOException {
    if (resp.isCommitted()) {
      return;
    }
    resp.resetBuffer();
    if (status == 401) {
      resp.setHeader("WWW-Authenticate", CHALLENGE);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status-code", status);
    body.put("siesta-faultid", UUID.randomUUID().toString());
    body.put("status-message", statusName(status));
    body.put("message", message);
    byte[] json = JSON.writeValueAsBytes(body);
    resp.setStatus(status);
    resp.setContentType("application/json");
    resp.setContentLength(json.length);
    resp.getOutputStream().write(json);
  }

  private static String statusName(int status) {
    return switch (status) {
      case 400 -> "BAD_REQUEST";
      case 401 -> "UNAUTHORIZED";
      case 403 -> "FORBIDDEN";
      case 404 -> "NOT_FOUND";
      case 405 -> "METHOD_NOT_ALLOWED";
      case 410 -> "GONE";
      case 429 -> "TOO_MANY_REQUESTS";
      case 503 -> "SERVICE_UNAVAILABLE";
      case 500 -> "INTERNAL_SERVER_ERROR";
      default -> "HTTP_" + status;
    };
  }
}
