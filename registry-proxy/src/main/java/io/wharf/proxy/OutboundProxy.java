package io.wharf.proxy;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The HTTP proxies outbound requests go through: one for {@code http://} upstreams, one for
 * {@code https://} upstreams (either may be absent: direct), and host patterns that never use a
 * proxy ({@code *.lan}, {@code localhost}, {@code 10.*}; {@code *} matches any run of characters).
 *
 * @param http the proxy for {@code http://} upstreams, or {@code null} to connect directly
 * @param https the proxy for {@code https://} upstreams, or {@code null} to connect directly
 * @param nonProxyHosts host patterns reached directly whatever the proxies; matched
 *     case-insensitively
 */
public record OutboundProxy(Endpoint http, Endpoint https, List<String> nonProxyHosts) {
  /** No proxy at all. */
  public static final OutboundProxy DIRECT = new OutboundProxy(null, null, List.of());

  /**
   * A proxy server; username and password are optional (Basic proxy authentication).
   *
   * @param host the proxy's host name or address
   * @param port the proxy's port
   * @param username the user for Basic proxy authentication, or {@code null}
   * @param password that user's password, or {@code null}
   */
  public record Endpoint(String host, int port, String username, String password) {
    /**
     * Checks the endpoint.
     *
     * @param host the proxy's host name or address
     * @param port the proxy's port
     * @param username the user for Basic proxy authentication, or {@code null}
     * @param password that user's password, or {@code null}
     * @throws NullPointerException if {@code host} is null
     * @throws IllegalArgumentException if {@code port} is not 1 to 65535
     */
    public Endpoint {
      Objects.requireNonNull(host, "host");
      if (port <= 0 || port > 65535) {
        throw new IllegalArgumentException("invalid proxy port " + port);
      }
    }

    /**
     * A proxy server without authentication.
     *
     * @param host the proxy's host name or address
     * @param port the proxy's port
     * @throws IllegalArgumentException if {@code port} is not 1 to 65535
     */
    public Endpoint(String host, int port) {
      this(host, port, null, null);
    }

    @Override
    public String toString() {
      return host + ":" + port; // never the password
    }
  }

  /**
   * Creates the settings; a {@code null} list of non-proxy hosts is taken as none.
   *
   * @param http the proxy for {@code http://} upstreams, or {@code null}
   * @param https the proxy for {@code https://} upstreams, or {@code null}
   * @param nonProxyHosts host patterns reached directly, or {@code null}
   */
  public OutboundProxy {
    nonProxyHosts = nonProxyHosts == null ? List.of() : List.copyOf(nonProxyHosts);
  }

  /**
   * The proxy to use for {@code scheme://host}, or {@code null} to connect directly.
   *
   * @param scheme the upstream's scheme, {@code http} or {@code https}
   * @param host the upstream's host
   * @return the proxy, or {@code null}
   */
  public Endpoint proxyFor(String scheme, String host) {
    Endpoint p = "https".equalsIgnoreCase(scheme) ? https : http;
    if (p == null) {
      return null;
    }
    String h = host.toLowerCase(Locale.ROOT);
    for (String pattern : nonProxyHosts) {
      if (glob(pattern).matcher(h).matches()) {
        return null;
      }
    }
    return p;
  }

  /** {@code *.lan} -> {@code \Q\E.*\Q.lan\E}: a star is any run of characters, the rest is literal. */
  private static Pattern glob(String pattern) {
    return Pattern.compile(Arrays.stream(pattern.toLowerCase(Locale.ROOT).split("\\*", -1))
        .map(Pattern::quote)
        .collect(Collectors.joining(".*")));
  }
}
