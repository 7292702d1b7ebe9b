package io.wharf.server.admin;

import io.wharf.server.auth.RegistrySecurity;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The public keys that verify Wharf's bearer tokens, as a JWKS document (RFC 7517) at
 * {@value #PATH}, for other services that verify Wharf's tokens: every key that verifies now,
 * each with the {@code kid} that tokens name in their header. No authentication: the keys are
 * public. Clients should re-read it when a token names a {@code kid} they do not know (a new
 * key signs at once after a rotation).
 */
final class JwksServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  static final String PATH = "/.well-known/jwks.json";

  private final transient RegistrySecurity security;

  JwksServlet(RegistrySecurity security) {
    this.security = security;
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    byte[] body;
    if (security.tokens() == null) {
      resp.setStatus(404);
      body = RestCall.JSON.writeValueAsBytes(Map.of("status", 404, "error", "NOT_FOUND",
          "message", "this server issues no bearer tokens (no docker-token realm)"));
      resp.setContentType("application/json");
    } else {
      body = security.tokens().keys().publicSet().toString().getBytes(StandardCharsets.UTF_8);
      resp.setContentType("application/jwk-set+json");
      resp.setHeader("Cache-Control", "public, max-age=60");
    }
    resp.setHeader("X-Content-Type-Options", "nosniff");
    resp.setContentLength(body.length);
    resp.getOutputStream().write(body);
  }
}
