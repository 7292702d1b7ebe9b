package io.wharf.server.http;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's error page, as the OCI error envelope. Jetty refuses some requests before any servlet
 * sees them: an ambiguous path ({@code /v2/a/%2e%2e/b}, {@code /v2/a//b}, an encoded {@code /}),
 * headers over the size limit (431), a request line over it (414), a body framing it cannot read
 * (400, 413), a request arriving while the server stops (503). Installed on the server (every
 * listener) and on the servlet context, it answers those with {@code {"errors":[...]}} like any
 * other error: a client's error path then works for every refusal.
 */
public final class OciErrorHandler extends ErrorHandler {
  private static final String SERVLET_STATUS = "jakarta.servlet.error.status_code";
  private static final String SERVLET_MESSAGE = "jakarta.servlet.error.message";
  private static final String SERVLET_EXCEPTION = "jakarta.servlet.error.exception";

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    int status = response.getStatus();
    Object s = attribute(request, ERROR_STATUS, SERVLET_STATUS);
    if (s instanceof Integer i) {
      status = i;
    }
    Object m = attribute(request, ERROR_MESSAGE, SERVLET_MESSAGE);
    String reason = m instanceof String text && !text.isBlank() ? text : null;
    if (attribute(request, ERROR_EXCEPTION, SERVLET_EXCEPTION) instanceof HttpException h) {
      status = h.getCode();
      reason = reason != null ? reason : h.getReason();
    }
    if (HttpStatus.hasNoBody(status)) {
      response.setStatus(status);
      callback.succeeded();
      return true;
    }
    ErrorResponses.write(response, error(request, status, reason), "HEAD".equals(request.getMethod()), callback);
    return true;
  }

  /** The OCI error for a refusal with HTTP {@code status} and Jetty's {@code reason}. */
  static RegistryException error(Request request, int status, String reason) {
    String path = request.getHttpURI() == null ? null : request.getHttpURI().getPath();
    String why = reason != null ? reason : HttpStatus.getMessage(status);
    int limit = request.getConnectionMetaData().getHttpConfiguration().getRequestHeaderSize();
    return switch (status) {
      case 400 -> why.contains("URI") ? badPath(path, why) : ErrorCode.REQUEST_INVALID.exception("bad request: " + why);
      case 404 -> ErrorCode.ROUTE_UNKNOWN.exception("no API endpoint at " + path);
      case 405 -> ErrorCode.METHOD_NOT_ALLOWED.exception(request.getMethod() + " is not allowed here");
      case 413 -> ErrorCode.REQUEST_TOO_LARGE.exception("request too large: " + why);
      case 414 -> ErrorCode.URI_TOO_LONG.exception(
          "the request URI is longer than the server reads (" + limit + " bytes); image names are far shorter");
      case 431 -> ErrorCode.HEADERS_TOO_LARGE.exception(
          "the request headers are larger than the server reads (" + limit + " bytes)");
      case 503 -> ErrorCode.UNAVAILABLE.exception("the server is not taking requests: " + why);
      default -> status >= 500 ? ErrorCode.UNKNOWN.exception("internal error (" + why + "); the server log has the details")
          : ErrorCode.REQUEST_INVALID.exception("bad request: " + why);
    };
  }

  /** A path Jetty will not map: under {@code /v2/} that is a bad image name, as the servlet says of {@code ..}. */
  private static RegistryException badPath(String path, String why) {
    boolean api = path != null && (path.contains("/v2/") || path.endsWith("/v2"));
    String message = "invalid path " + path + " (" + why + ")";
    return api
        ? ErrorCode.NAME_INVALID.exception(message + ": image names have no empty, \".\" or \"..\" segments"
            + " and no encoded \"/\"")
        : ErrorCode.REQUEST_INVALID.exception(message);
  }

  private static Object attribute(Request request, String core, String servlet) {
    Object v = request.getAttribute(core);
    return v != null ? v : request.getAttribute(servlet);
  }
}
