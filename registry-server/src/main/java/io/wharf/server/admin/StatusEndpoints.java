package io.wharf.server.admin;

import java.io.IOException;
import java.util.Objects;

/**
 * Nexus's status endpoints and its scripting API's refusal:
 * <pre>
 * GET /v1/status             200 if every blob store answers reads, else 503 (anonymous)
 * GET /v1/status/writable    200 if every blob store takes writes, else 503
 * GET /v1/status/check       the named checks (administrators)
 * any /v1/script...          410: Wharf runs no Groovy scripts
 * </pre>
 */
final class StatusEndpoints implements RestEndpoints {
  private final HealthService health;

  StatusEndpoints(HealthService health) {
    this.health = Objects.requireNonNull(health);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    String path = call.path();
    if (path.equals("/v1/script") || path.startsWith("/v1/script/")) {
      throw new ManagementException(ManagementException.Reason.NOT_SUPPORTED, "Wharf does not run scripts:"
          + " Nexus's Groovy scripting API cannot be emulated; use the REST endpoints or the config file");
    }
    switch (path) {
      case "/v1/status" -> {
        call.allow("GET");
        call.status(health.readable() ? 200 : 503);
      }
      case "/v1/status/writable" -> {
        call.allow("GET");
        call.status(health.writable() ? 200 : 503);
      }
      case "/v1/status/check" -> {
        call.allow("GET");
        call.send(health.checks(call.caller()));
      }
      default -> {
        return false;
      }
    }
    return true;
  }
}
