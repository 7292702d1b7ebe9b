package io.wharf.server.admin;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;

/**
 * The proxy repositories' state and cache invalidation, on both APIs:
 * <pre>
 * Nexus:  POST /v1/repositories/{name}/invalidate-cache   204 (a proxy, or a group: its proxies)
 * Wharf:  GET  /v1/proxies                                 the proxies the caller may read, with their state
 *         GET  /v1/proxies/{name}                          one of them
 *         POST /v1/proxies/{name}/invalidate-cache         200 {"invalidated":[names]}
 * </pre>
 */
final class ProxyEndpoints implements RestEndpoints {
  private final ProxyService proxies;
  private final boolean nexus;

  private ProxyEndpoints(ProxyService proxies, boolean nexus) {
    this.proxies = Objects.requireNonNull(proxies);
    this.nexus = nexus;
  }

  /** The Nexus face: only {@code invalidate-cache}. */
  static ProxyEndpoints nexus(ProxyService proxies) {
    return new ProxyEndpoints(proxies, true);
  }

  /** Wharf's face. */
  static ProxyEndpoints wharf(ProxyService proxies) {
    return new ProxyEndpoints(proxies, false);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    if (nexus) {
      if (!call.matches("v1", "repositories", "*", "invalidate-cache")) {
        return false;
      }
      call.allow("POST");
      proxies.invalidate(call.caller(), call.segment(2));
      call.status(204);
      return true;
    }
    if (call.matches("v1", "proxies")) {
      call.allow("GET");
      call.send(proxies.list(call.caller()));
    } else if (call.matches("v1", "proxies", "*")) {
      call.allow("GET");
      call.send(proxies.get(call.caller(), call.segment(2)));
    } else if (call.matches("v1", "proxies", "*", "invalidate-cache")) {
      call.allow("POST");
      call.send(Map.of("invalidated", proxies.invalidate(call.caller(), call.segment(2))));
    } else {
      return false;
    }
    return true;
  }
}
