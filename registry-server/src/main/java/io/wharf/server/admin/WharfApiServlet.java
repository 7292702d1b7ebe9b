package io.wharf.server.admin;

import io.wharf.server.auth.RegistrySecurity;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wharf's own management API ({@code /wharf/api/v1/...}) for what Nexus has no endpoint for:
 * image detail, cleanup previews, proxy state, the effective configuration. Same credentials as
 * {@link NexusRestServlet}; errors in Wharf's shape:
 * {@code {"status":400,"error":"BAD_REQUEST","message":"…","fields":[{"id":"…","message":"…"}]}}.
 */
final class WharfApiServlet extends RestServlet {
  private static final long serialVersionUID = 1L;
  public static final String PATH = "/wharf/api";

  public WharfApiServlet(List<RestEndpoints> endpoints, RegistrySecurity security, URI publicUrl) {
    super(endpoints, security, publicUrl);
  }

  @Override
  protected String mountPath() {
    return PATH;
  }

  @Override
  protected Object errorBody(ManagementException e) {
    int status = e.reason().status();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", status);
    body.put("error", statusName(status));
    body.put("message", e.getMessage());
    if (!e.violations().isEmpty()) {
      body.put("fields", e.violations());
    }
    return body;
  }
}
