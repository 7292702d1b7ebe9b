package io.wharf.server.admin;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One call to a management API, as its endpoint groups see it: the method, the path below the
 * servlet split into segments, the query, the caller, the JSON body, and the ways to answer.
 *
 * <pre>
 * if (call.matches("v1", "repositories", "*")) {
 *   call.allow("GET");
 *   call.send(repositories.get(call.caller(), call.segment(2), call.base()));
 *   return true;
 * }
 * </pre>
 */
final class RestCall {
  /** Bodies larger than this are refused (400): no management body comes near it. */
  static final int MAX_BODY = 1024 * 1024;
  static final JsonMapper JSON = JsonMapper.builder().build();

  private final HttpServletRequest request;
  private final HttpServletResponse response;
  private final String path;
  private final List<String> segments;
  private final Supplier<Caller> caller;
  private final String base;
  private Caller resolved;

  RestCall(HttpServletRequest request, HttpServletResponse response, String path, Supplier<Caller> caller,
      String base) {
    this.request = request;
    this.response = response;
    this.path = path;
    this.segments = path.length() <= 1 ? List.of() : Arrays.asList(path.substring(1).split("/", -1));
    this.caller = caller;
    this.base = base;
  }

  /** The path below the servlet, without a trailing slash ({@code /v1/repositories}). */
  public String path() {
    return path;
  }

  public String method() {
    return request.getMethod();
  }

  public List<String> segments() {
    return segments;
  }

  public String segment(int i) {
    return segments.get(i);
  }

  /**
   * Whether the path has exactly these segments; {@code "*"} matches any one non-empty segment.
   */
  public boolean matches(String... pattern) {
    if (pattern.length != segments.size()) {
      return false;
    }
    for (int i = 0; i < pattern.length; i++) {
      String s = segments.get(i);
      if (pattern[i].equals("*") ? s.isEmpty() : !pattern[i].equals(s)) {
        return false;
      }
    }
    return true;
  }

  /** A query parameter, or null. */
  public String query(String name) {
    return request.getParameter(name);
  }

  /** The authenticated caller (checked once, lazily: a wrong password is a 401 only where it matters). */
  public Caller caller() {
    if (resolved == null) {
      resolved = caller.get();
    }
    return resolved;
  }

  /** What precedes {@code /repository/<name>} in the URLs clients use ({@code server.publicUrl}, else this request's origin). */
  public String base() {
    return base;
  }

  public HttpServletRequest request() {
    return request;
  }

  public HttpServletResponse response() {
    return response;
  }

  /**
   * Refuses the call with 405 (and {@code Allow}) unless its method is one of {@code methods};
   * {@code HEAD} passes where {@code GET} does.
   */
  public void allow(String... methods) {
    Set<String> allowed = Set.of(methods);
    String m = method();
    if (allowed.contains(m) || m.equals("HEAD") && allowed.contains("GET")) {
      return;
    }
    response.setHeader("Allow", String.join(", ", methods));
    throw new ManagementException(ManagementException.Reason.METHOD_NOT_ALLOWED,
        m + " is not supported here; this endpoint takes " + String.join(", ", methods));
  }

  /** The JSON body as a tree; 400 naming the problem if it is missing, too large or not JSON. */
  public JsonNode json() {
    try (InputStream in = request.getInputStream()) {
      byte[] body = in.readNBytes(MAX_BODY + 1);
      if (body.length > MAX_BODY) {
        throw new ManagementException(ManagementException.Reason.BAD_REQUEST,
            "the request body is larger than " + MAX_BODY + " bytes");
      }
      if (body.length == 0) {
        throw new ManagementException(ManagementException.Reason.BAD_REQUEST, "a JSON body is required");
      }
      JsonNode node = JSON.readTree(body);
      if (node == null || node.isMissingNode()) {
        throw new ManagementException(ManagementException.Reason.BAD_REQUEST, "a JSON body is required");
      }
      return node;
    } catch (JacksonException e) {
      throw new ManagementException(ManagementException.Reason.BAD_REQUEST,
          "the body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ManagementException(ManagementException.Reason.BAD_REQUEST, "could not read the body: " + e);
    }
  }

  /** The JSON body bound to {@code type}; 400 naming the problem (unknown fields are ignored, as Nexus does). */
  public <T> T json(Class<T> type) {
    JsonNode node = json();
    try {
      return JSON.treeToValue(node, type);
    } catch (JacksonException e) {
      throw new ManagementException(ManagementException.Reason.BAD_REQUEST,
          "the body does not fit: " + e.getOriginalMessage());
    }
  }

  /** 200 with {@code body} as JSON. */
  public void send(Object body) throws IOException {
    send(200, body);
  }

  public void send(int status, Object body) throws IOException {
    byte[] json = JSON.writeValueAsBytes(body);
    response.setStatus(status);
    response.setContentType("application/json");
    response.setContentLength(json.length);
    if (!method().equals("HEAD")) {
      response.getOutputStream().write(json);
    }
  }

  /** An empty answer: 204 for deletes and runs, 200/503 for status probes. */
  public void status(int status) {
    response.setStatus(status);
    response.setContentLength(0);
  }

  /** Where the call's own answer is written, e.g. for a plain-text or file answer. */
  public void header(String name, String value) {
    response.setHeader(Objects.requireNonNull(name), value);
  }
}
