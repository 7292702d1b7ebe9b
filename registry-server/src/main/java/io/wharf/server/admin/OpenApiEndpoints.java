package io.wharf.server.admin;

import java.io.IOException;
import java.util.Objects;

/**
 * {@code GET /swagger.json} below Nexus's REST mount: the {@link OpenApiSpec}, without
 * credentials, as Nexus serves its own.
 */
final class OpenApiEndpoints implements RestEndpoints {
  private final OpenApiSpec spec;

  OpenApiEndpoints(OpenApiSpec spec) {
    this.spec = Objects.requireNonNull(spec);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    if (!call.matches("swagger.json")) {
      return false;
    }
    call.allow("GET");
    byte[] json = spec.json();
    call.response().setStatus(200);
    call.response().setContentType("application/json");
    call.response().setContentLength(json.length);
    if (!call.method().equals("HEAD")) {
      call.response().getOutputStream().write(json);
    }
    return true;
  }
}
