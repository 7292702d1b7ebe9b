package io.wharf.proxy;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed {@code WWW-Authenticate} challenge: {@code Bearer realm="…",service="…",scope="…"} or
 * {@code Basic realm="…"} (RFC 7235 auth-params, quoted or token values).
 */
record AuthChallenge(String scheme, Map<String, String> params) {
  private static final Pattern PARAM = Pattern.compile("\\s*([A-Za-z0-9_-]+)\\s*=\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^,\\s]*))\\s*,?");

  static AuthChallenge parse(String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    String h = header.trim();
    int space = h.indexOf(' ');
    String scheme = (space < 0 ? h : h.substring(0, space)).toLowerCase(Locale.ROOT);
    Map<String, String> params = new LinkedHashMap<>();
    if (space > 0) {
      Matcher m = PARAM.matcher(h.substring(space + 1));
      while (m.find()) {
        String value = m.group(2) != null ? m.group(2).replaceAll("\\\\(.)", "$1") : m.group(3);
        params.put(m.group(1).toLowerCase(Locale.ROOT), value);
      }
    }
    return new AuthChallenge(scheme, Map.copyOf(params));
  }

  boolean isBearer() {
    return "bearer".equals(scheme);
  }

  boolean isBasic() {
    return "basic".equals(scheme);
  }

  String realm() {
    return params.get("realm");
  }

  String service() {
    return params.get("service");
  }

  String scope() {
    return params.get("scope");
  }
}
