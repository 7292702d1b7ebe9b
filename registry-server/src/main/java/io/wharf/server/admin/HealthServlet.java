package io.wharf.server.admin;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import tools.jackson.databind.json.JsonMapper;

/**
 * Probes for load balancers and Kubernetes, without credentials:
 * <ul>
 *   <li>{@code GET /health/live}: 200 {@code {"status":"UP"}} while the process answers;
 *   <li>{@code GET /health/ready}: 200 {@code {"status":"UP"}} when every readiness check passes
 *       (every blob store writable, and above its free-space reserve), else 503
 *       {@code {"status":"DOWN","failing":[…]}} naming the
 *       failing checks (names only: their messages are for {@code /service/rest/v1/status/check}).
 * </ul>
 */
final class HealthServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  public static final String PATH = "/health";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final transient HealthService health;

  public HealthServlet(HealthService health) {
    this.health = Objects.requireNonNull(health);
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    resp.setHeader("Cache-Control", "no-store");
    String path = req.getPathInfo() == null ? "" : req.getPathInfo();
    Map<String, Object> body = new LinkedHashMap<>();
    int status;
    switch (path) {
      case "/live" -> {
        status = health.live() ? 200 : 503;
        body.put("status", status == 200 ? "UP" : "DOWN");
      }
      case "/ready" -> {
        HealthService.Readiness r = health.readiness();
        status = r.ready() ? 200 : 503;
        body.put("status", r.ready() ? "UP" : "DOWN");
        if (!r.ready()) {
          body.put("failing", r.failing().keySet());
        }
      }
      default -> {
        status = 404;
        body.put("status", "UNKNOWN");
        body.put("message", "no probe at " + PATH + path + "; probes: " + PATH + "/live, " + PATH + "/ready");
      }
    }
    byte[] json = JSON.writeValueAsBytes(body);
    resp.setStatus(status);
    resp.setContentType("application/json");
    resp.setContentLength(json.length);
    resp.getOutputStream().write(json);
  }
}
