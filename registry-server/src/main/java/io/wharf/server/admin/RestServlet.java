package io.wharf.server.admin;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.server.auth.RegistrySecurity;
import io.wharf.server.http.RequestOrigin;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A management API: authenticates (HTTP Basic with the users of {@code security:}, or the web
 * UI's session cookie with its CSRF token in {@code X-Wharf-CSRF}, none for anonymous), offers each call to its {@link RestEndpoints} in order, and writes refusals in the
 * API's own error shape ({@link #errorBody}). Subclasses are the faces: Nexus's REST API and Wharf's.
 */
abstract class RestServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(RestServlet.class);

  private final transient List<RestEndpoints> endpoints;
  private final transient RegistrySecurity security;
  private final transient URI publicUrl;

  /**
   * @param security null: the server is open; every caller is anonymous and may everything
   * @param publicUrl {@code server.publicUrl}; null: repository URLs are built from each request
   */
  protected RestServlet(List<RestEndpoints> endpoints, RegistrySecurity security, URI publicUrl) {
    this.endpoints = List.copyOf(endpoints);
    this.security = security;
    this.publicUrl = publicUrl;
  }

  /** Where this API is mounted, for messages ({@code /service/rest}). */
  protected abstract String mountPath();

  /** A refusal's JSON body in this API's shape; {@code e} has the status, message and fields. */
  protected abstract Object errorBody(ManagementException e);

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    resp.setHeader("X-Content-Type-Options", "nosniff");
    resp.setHeader("Cache-Control", "no-cache, no-store");
    String path = req.getPathInfo() == null ? "/" : req.getPathInfo();
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    RestCall call = new RestCall(req, resp, path, () -> caller(req), base(req));
    try {
      for (RestEndpoints group : endpoints) {
        if (group.serve(call)) {
          return;
        }
      }
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no endpoint at " + mountPath() + path);
    } catch (ManagementException e) {
      writeError(req, resp, e);
    } catch (RegistryException e) {
      // from authentication: wrong credentials (401) or a lockout (429)
      if (e.code() == ErrorCode.TOOMANYREQUESTS && e.detail() instanceof Map<?, ?> m && m.get("retryAfter") != null) {
        resp.setHeader("Retry-After", String.valueOf(m.get("retryAfter")));
      }
      writeError(req, resp,
          new ManagementException(ManagementException.Reason.of(e.code().httpStatus()), e.getMessage()));
    } catch (RuntimeException e) {
      LOG.error("{} {} failed", req.getMethod(), req.getRequestURI(), e);
      writeError(req, resp, new ManagementException(ManagementException.Reason.INTERNAL,
          "internal error; the server log has the details"));
    }
  }

  private void writeError(HttpServletRequest req, HttpServletResponse resp, ManagementException e) throws IOException {
    if (resp.isCommitted()) {
      return;
    }
    resp.resetBuffer();
    boolean large = req.getContentLengthLong() > RestCall.MAX_BODY;
    if (large) {
      resp.setHeader("Connection", "close");
    }
    int status = e.reason().status();
    if (status == 401) {
      resp.setHeader("WWW-Authenticate", NexusRestServlet.CHALLENGE);
    }
    byte[] json = RestCall.JSON.writeValueAsBytes(errorBody(e));
    resp.setStatus(status);
    resp.setContentType("application/json");
    resp.setContentLength(json.length);
    resp.getOutputStream().write(json);
    if (!large) {
      resp.flushBuffer();
      drain(req);
    }
  }

  /**
   * Reads what is left of the request body (up to {@link RestCall#MAX_BODY}) after a refusal was
   * sent. A call refused before its body was read (a 401 or 403 comes first) would otherwise
   * leave Jetty to close the connection, while the client, told nothing, sends its next request
   * on it. A body known to be larger is not read: its answer says {@code Connection: close}.
   */
  private static void drain(HttpServletRequest req) {
    try {
      InputStream in = req.getInputStream();
      byte[] buffer = new byte[8192];
      long left = RestCall.MAX_BODY;
      int n;
      while (left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) >= 0) {
        left -= n;
      }
    } catch (IOException | IllegalStateException e) {
      // gone or taken as a reader: Jetty closes the connection, as it would have
    }
  }

  private Caller caller(HttpServletRequest req) {
    return Caller.of(security == null ? null : security.apiUser(req), req.getRemoteAddr(), req.getHeader("User-Agent"));
  }

  private String base(HttpServletRequest req) {
    if (publicUrl != null) {
      String s = publicUrl.toString();
      return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
    return RequestOrigin.of(req) + req.getContextPath();
  }

  /** Nexus's name for a status ({@code NOT_FOUND}). */
  static String statusName(int status) {
    return switch (status) {
      case 400 -> "BAD_REQUEST";
      case 401 -> "UNAUTHORIZED";
      case 403 -> "FORBIDDEN";
      case 404 -> "NOT_FOUND";
      case 405 -> "METHOD_NOT_ALLOWED";
      case 409 -> "CONFLICT";
      case 410 -> "GONE";
      case 422 -> "UNPROCESSABLE_ENTITY";
      case 429 -> "TOO_MANY_REQUESTS";
      case 500 -> "INTERNAL_SERVER_ERROR";
      case 503 -> "SERVICE_UNAVAILABLE";
      default -> "HTTP_" + status;
    };
  }
}
