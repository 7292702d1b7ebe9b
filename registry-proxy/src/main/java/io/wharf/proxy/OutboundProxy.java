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
 */
public record OutboundProxy(Endpoint http, Endpoint https, List<String> nonProxyHosts) {
  /** No proxy at all. */
  public static final OutboundProxy DIRECT = new OutboundProxy(null, null, List.of());

  /** A proxy server; username and password are optional (Basic proxy authentication). */
  public record Endpoint(String host, int port, String username, String password) {
    public Endpoint {
      Objects.requireNonNull(host, "host");
      if (port <= 0 || port > 65535) {
        throw new IllegalArgumentException("invalid proxy port " + port);
      }
    }

    public Endpoint(String host, int port) {
      this(host, port, null, null);
    }

    @Override
    public String toString() {
      return host + ":" + port; // never the password
    }
  }

  public OutboundProxy {
    nonProxyHosts = nonProxyHosts == null ? List.of() : List.copyOf(nonProxyHosts);
  }

  /** The proxy to use for {@code scheme://host}, or {@code null} to connect directly. */
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
