package io.wharf.server.http;

import jakarta.servlet.http.HttpServletRequest;

/**
 * The origin a client used to reach this server, {@code scheme://host[:port]}, for the absolute
 * URLs we send back (event URLs, repository URLs, the UI's same-origin check). It reflects
 * {@code Forwarded} / {@code X-Forwarded-*} from trusted proxies, which Jetty has already applied
 * to the request; the port is left out when it is the scheme's default, and an IPv6 host is
 * bracketed.
 */
public final class RequestOrigin {
  private RequestOrigin() {}

  /**
   * The origin {@code req} was sent to.
   *
   * @param req the request, as Jetty's forwarded-header handling left it
   * @return e.g. {@code https://registry.example.com} or {@code http://127.0.0.1:5000}
   */
  public static String of(HttpServletRequest req) {
    return req.getScheme() + "://" + hostPort(req.getServerName(), req.getServerPort(), req.getScheme());
  }

  /**
   * {@code host[:port]} as a URL or {@code docker login} writes it: IPv6 bracketed, a default port left out.
   *
   * @param host a host name or IP address (IPv6 with or without brackets)
   * @param port the port
   * @param scheme {@code http} or {@code https}, whose default port is left out
   * @return e.g. {@code [::1]:5000}
   */
  public static String hostPort(String host, int port, String scheme) {
    if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    boolean defaultPort = port <= 0 || port == 80 && "http".equals(scheme) || port == 443 && "https".equals(scheme);
    return defaultPort ? host : host + ":" + port;
  }
}
