package io.wharf.server;

import io.wharf.server.config.AddressRanges;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;

/**
 * {@code server.trustedProxies}: the reverse proxies whose {@code Forwarded} and
 * {@code X-Forwarded-*} headers are believed. Those headers decide the client address (login
 * lockout, audit and access logs) and the scheme, host and port (host routing, token realms,
 * {@code Location}s), so from any other peer they are ignored: a direct client cannot name
 * another address, escape its lockout or re-target its request.
 *
 * <p>From a trusted peer, Jetty's {@link ForwardedRequestCustomizer} applies the scheme, host and
 * port; the client address is the right-most hop of {@code Forwarded: for=} (else
 * {@code X-Forwarded-For}) that is not itself a trusted proxy. Each proxy appends the address it
 * saw, so the entries left of that one are whatever the client chose to send (nginx's
 * {@code $proxy_add_x_forwarded_for} keeps them), and the left-most, Jetty's choice, is forgeable.
 */
final class TrustedProxies implements HttpConfiguration.Customizer {
  private final AddressRanges ranges;
  private final ForwardedRequestCustomizer forwarded = new ForwardedRequestCustomizer();

  TrustedProxies(AddressRanges ranges) {
    this.ranges = ranges;
  }

  boolean isEmpty() {
    return ranges.isEmpty();
  }

  private boolean trusts(InetAddress a) {
    return ranges.contains(a);
  }

  @Override
  public Request customize(Request request, HttpFields.Mutable responseHeaders) {
    SocketAddress peer = request.getConnectionMetaData().getRemoteSocketAddress();
    if (!(peer instanceof InetSocketAddress p) || p.isUnresolved() || !trusts(p.getAddress())) {
      return request; // forwarded headers of anyone else are ignored
    }
    Request customized = forwarded.customize(request, responseHeaders);
    if (customized == request) {
      return request; // no forwarded headers
    }
    // Jetty took the left-most hop as the client; the right one is ours to pick
    InetAddress client = client(request.getHeaders());
    SocketAddress remote = client == null ? peer : new InetSocketAddress(client, p.getPort());
    ConnectionMetaData metaData = new ConnectionMetaData.Wrapper(customized.getConnectionMetaData()) {
      @Override
      public SocketAddress getRemoteSocketAddress() {
        return remote;
      }
    };
    return new Request.Wrapper(customized) {
      @Override
      public ConnectionMetaData getConnectionMetaData() {
        return metaData;
      }
    };
  }

  /**
   * The client behind the trusted proxies: walking the hops from the right (the one the last
   * proxy saw), the first that is not a trusted proxy; the left-most if all are. Null without
   * forwarded hops, or when that hop is not an address ({@code unknown}, an obfuscated name):
   * then the peer stays the client.
   */
  InetAddress client(HttpFields headers) {
    List<String> hops = new ArrayList<>();
    for (HttpField f : headers) {
      if (f.is(HttpHeader.FORWARDED.asString())) {
        for (String element : f.getValue().split(",")) {
          for (String pair : element.split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).trim().equalsIgnoreCase("for")) {
              hops.add(pair.substring(eq + 1));
            }
          }
        }
      }
    }
    if (hops.isEmpty()) {
      for (HttpField f : headers) {
        if (f.is(HttpHeader.X_FORWARDED_FOR.asString())) {
          hops.addAll(List.of(f.getValue().split(",")));
        }
      }
    }
    for (int i = hops.size() - 1; i >= 0; i--) {
      InetAddress hop = AddressRanges.literal(hostOf(hops.get(i)));
      if (hop == null) {
        return null;
      }
      if (i == 0 || !trusts(hop)) {
        return hop;
      }
    }
    return null;
  }

  /** {@code "[2001:db8::1]:4711"}, {@code 192.0.2.1:80} or a bare address, to the address text. */
  private static String hostOf(String hop) {
    String h = hop.trim();
    if (h.length() >= 2 && h.startsWith("\"") && h.endsWith("\"")) {
      h = h.substring(1, h.length() - 1).trim();
    }
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? h : h.substring(1, end);
    }
    int colon = h.indexOf(':');
    return colon >= 0 && colon == h.lastIndexOf(':') ? h.substring(0, colon) : h;
  }
}
