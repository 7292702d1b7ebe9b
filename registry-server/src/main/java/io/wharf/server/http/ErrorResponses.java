package io.wharf.server.http;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.storage.StorageFullException;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The one place that turns an error into an HTTP response:
 * {@code {"errors":[{"code","message","detail"}]}} with the status of its {@link ErrorCode}. Two
 * doors: the servlet's response for errors of the API, and Jetty's own for requests Jetty
 * refuses before any servlet runs ({@link OciErrorHandler}).
 */
final class ErrorResponses {
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
   * The answer to a store out of space, from whichever write hit it: {@code 507 Insufficient
   * Storage} ({@link ErrorCode#STORAGE_FULL}) with the store's message (its name, its free space,
   * what to do) and its numbers as detail.
   */
  public static RegistryException storageFull(StorageFullException e) {
    return new RegistryException(ErrorCode.STORAGE_FULL, e.getMessage(), e.detail(), e);
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

  /**
   * Writes {@code e} as Jetty's core response (no servlet involved) and completes {@code callback}.
   * HEAD responses get headers only.
   */
  static void write(Response response, RegistryException e, boolean head, Callback callback) {
    byte[] body = body(e);
    response.setStatus(e.code().httpStatus());
    response.getHeaders().put(RegistryServlet.API_VERSION_HEADER, RegistryServlet.API_VERSION);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, head ? null : ByteBuffer.wrap(body), callback);
  }
}
