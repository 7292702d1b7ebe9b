package io.wharf.server.admin;

import io.wharf.server.auth.RegistrySecurity;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Nexus Repository 3's REST API ({@code /service/rest/v1/...}, as 3.96 CE answers it) over the
 * management services, so scripts and tools written for Nexus read and steer Wharf. The endpoints
 * are in groups ({@link RepositoryEndpoints}, {@link StatusEndpoints}, ...); this class only adds
 * Nexus's error shapes.
 *
 * <p>Credentials: HTTP Basic with the users of {@code security:} (wrong ones: 401, too many: 429),
 * none for anonymous. Errors have Nexus's siesta shape
 * {@code {"status-code":404,"siesta-faultid":"…","status-message":"NOT_FOUND"}} plus a
 * {@code message}; a validation 400 is Nexus's array {@code [{"id":"PARAMETER name","message":"…"}]};
 * a 401 carries Nexus's challenge {@value #CHALLENGE}.
 */
final class NexusRestServlet extends RestServlet {
  private static final long serialVersionUID = 1L;
  public static final String PATH = "/service/rest";
  static final String CHALLENGE = "BASIC realm=\"Sonatype Nexus Repository Manager\"";

  public NexusRestServlet(List<RestEndpoints> endpoints, RegistrySecurity security, URI publicUrl) {
    super(endpoints, security, publicUrl);
  }

  @Override
  protected String mountPath() {
    return PATH;
  }

  @Override
  protected Object errorBody(ManagementException e) {
    if (!e.violations().isEmpty()) {
      return e.violations();
    }
    int status = e.reason().status();
    Map<String, Object> siesta = new LinkedHashMap<>();
    siesta.put("status-code", status);
    siesta.put("siesta-faultid", UUID.randomUUID().toString());
    siesta.put("status-message", statusName(status));
    siesta.put("message", e.getMessage());
    return siesta;
  }
}
