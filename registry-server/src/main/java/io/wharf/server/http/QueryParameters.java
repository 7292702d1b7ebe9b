package io.wharf.server.http;

import jakarta.servlet.http.HttpServletRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Reads query-string parameters, and only those: {@code getParameter} would also parse a body
 * sent as {@code application/x-www-form-urlencoded} (what {@code curl --data-binary} sends),
 * consuming the blob being uploaded.
 */
public final class QueryParameters {
  private QueryParameters() {}

  /**
   * The first value of {@code name}, or {@code null} if absent or empty.
   *
   * @param request the request
   * @param name the parameter's name
   * @return the decoded value, or null
   */
  public static String get(HttpServletRequest request, String name) {
    String qs = request.getQueryString();
    if (qs == null) {
      return null;
    }
    for (String pair : qs.split("&")) {
      int eq = pair.indexOf('=');
      if (decode(eq < 0 ? pair : pair.substring(0, eq)).equals(name)) {
        String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
        return v.isEmpty() ? null : v;
      }
    }
    return null;
  }

  /** Percent-decodes; a malformed escape is kept as it is, for the value's own validation to refuse. */
  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }
}
