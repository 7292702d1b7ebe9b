package io.wharf.testkit;

import io.wharf.server.routing.Route;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outermost filter of each of a test registry's contexts: takes each request's place in the
 * {@link RequestJournal} when it arrives, and fills it in once the registry (and any injected
 * fault) has answered it.
 */
final class JournalFilter implements Filter {
  /** Request attribute in which {@link FaultFilter} names the fault it injected. */
  static final String FAULT_ATTRIBUTE = "io.wharf.testkit.fault";

  private final RequestJournal journal;
  private final String repository;

  JournalFilter(RequestJournal journal, String repository) {
    this.journal = journal;
    this.repository = repository;
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest req = (HttpServletRequest) request;
    HttpServletResponse resp = (HttpServletResponse) response;
    Instant time = Instant.now();
    long start = System.nanoTime();
    long arrival = journal.begin();
    RecordedRequest entry = null;
    try {
      chain.doFilter(request, response);
    } finally {
      try {
        entry = entry(req, resp, time, Duration.ofNanos(System.nanoTime() - start));
      } finally {
        journal.end(arrival, entry);
      }
    }
  }

  private RecordedRequest entry(HttpServletRequest req, HttpServletResponse resp, Instant time, Duration took) {
    String path = (req.getServletPath() == null ? "" : req.getServletPath())
        + (req.getPathInfo() == null ? "" : req.getPathInfo());
    Route route = path.equals("/v2") || path.equals("/v2/") ? Route.parse("")
        : path.startsWith("/v2/") ? Route.parse(path.substring(4)) : new Route(Route.Kind.UNKNOWN, null, null);
    Object fault = req.getAttribute(FAULT_ATTRIBUTE);
    Endpoint endpoint = path.equals("/v2/token") ? Endpoint.TOKEN : Endpoint.of(route.kind());
    return new RecordedRequest(time, repository, req.getMethod(), req.getRequestURI(), req.getQueryString(),
        resp.getStatus(), user(req), endpoint, route.name(), route.argument(), took,
        fault == null ? null : fault.toString(), headers(req));
  }

  private static Map<String, List<String>> headers(HttpServletRequest req) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Enumeration<String> names = req.getHeaderNames(); names.hasMoreElements(); ) {
      String name = names.nextElement().toLowerCase(Locale.ROOT);
      List<String> values = new ArrayList<>();
      for (Enumeration<String> v = req.getHeaders(name); v.hasMoreElements(); ) {
        String value = v.nextElement();
        if (name.equals("authorization")) {
          int space = value.strip().indexOf(' ');
          value = space < 0 ? value.strip() : value.strip().substring(0, space); // the scheme, not the secret
        }
        values.add(value);
      }
      out.putIfAbsent(name, List.copyOf(values)); // getHeaders is case-insensitive: a second spelling adds nothing
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * The identity the client presented: the user of {@code Basic} credentials, or the subject of a
   * bearer token (read, not verified: the registry's security verifies it, and refuses the
   * request with 401 if it is not good).
   */
  static String user(HttpServletRequest req) {
    if (req.getRemoteUser() != null) {
      return req.getRemoteUser();
    }
    String auth = req.getHeader("Authorization");
    if (auth == null) {
      return null;
    }
    auth = auth.strip();
    try {
      if (auth.regionMatches(true, 0, "Basic ", 0, 6)) {
        String pair = new String(Base64.getDecoder().decode(auth.substring(6).strip()), StandardCharsets.UTF_8);
        int colon = pair.indexOf(':');
        return colon >= 0 ? pair.substring(0, colon) : pair;
      }
      if (auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
        String[] jwt = auth.substring(7).strip().split("\\.");
        if (jwt.length == 3) {
          byte[] claims = Base64.getUrlDecoder().decode(jwt[1]);
          return TestImages.JSON.readTree(claims).path("sub").asString(null);
        }
      }
    } catch (RuntimeException e) {
      // not decodable: no name to show
    }
    return null;
  }
}
