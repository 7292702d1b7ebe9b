package io.wharf.server.http;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place that turns an error into an HTTP response:
 * {@code {"errors":[{"code","message","detail"}]}} with the status of its {@link ErrorCode}.
 */
public final class ErrorResponses {
  private ErrorResponses() {}

  /** The JSON envelope for {@code e}. */
  public static byte[] body(RegistryException e) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", e.code().wireCode());
    error.put("message", e.getMessage());
    if (e.detail() != null) {
      error.put("detail", e.detail());
    }
    return Json.write(Map.of("errors", List.of(error)));
  }

  /**
   * Writes {@code e} unless the response is already committed (then the connection is all that
   * can tell the client; the caller aborts it). HEAD responses get headers only.
   */
  static void write(HttpServletResponse resp, RegistryException e, boolean head) throws IOException {
    if (resp.isCommitted()) {
      return;
    }
    resp.resetBuffer();
    resp.setStatus(e.code().httpStatus());
    resp.setHeader("Content-Range", null);
    resp.setHeader("Docker-Content-Digest", null);
    resp.setHeader("ETag", null);
    if (e.code() == ErrorCode.RANGE_INVALID && e.detail() instanceof Map<?, ?> m && m.get("size") instanceof Long size) {
      resp.setHeader("Content-Range", "bytes */" + size);
    }
    // A rate limit passed on, or an auto-blocked upstream: when to come back.
    if (e.detail() instanceof Map<?, ?> m && m.get("retryAfter") != null) {
      resp.setHeader("Retry-After", String.valueOf(m.get("retryAfter")));
    }
    Exchange.applyWarnings(resp);
    byte[] body = body(e);
    resp.setContentType("application/json");
    resp.setContentLength(body.length);
    if (!head) {
      resp.getOutputStream().write(body);
    }
  }
}
