package io.wharf.server.admin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * Nexus's security endpoints (administrators only, but a user may change its own password):
 * <pre>
 * GET    /v1/security/users?userId=&amp;source=     users (the files' read-only)
 * POST   /v1/security/users                       create: {userId, firstName, lastName, emailAddress, password, status, roles}
 * PUT    /v1/security/users/{id}                  update (not the password): 204
 * DELETE /v1/security/users/{id}                  204
 * PUT    /v1/security/users/{id}/change-password  text/plain body: the new password; 204
 * GET    /v1/security/roles?source=               roles
 * POST   /v1/security/roles                       create: {id, name, description, privileges, roles}
 * GET|PUT|DELETE /v1/security/roles/{id}
 * GET    /v1/security/realms/available            [{id, name}]
 * GET|PUT /v1/security/realms/active              ordered realm ids
 * GET|PUT /v1/security/anonymous                  {enabled, userId, realmName}
 * </pre>
 * This class reads the bodies (a wrong type is a 400 naming the field); {@link SecurityService}
 * decides the rest.
 */
final class SecurityEndpoints implements RestEndpoints {
  private final SecurityService security;

  SecurityEndpoints(SecurityService security) {
    this.security = Objects.requireNonNull(security);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    if (call.segments().size() < 3 || !call.segment(0).equals("v1") || !call.segment(1).equals("security")) {
      return false;
    }
    if (call.matches("v1", "security", "users")) {
      call.allow("GET", "POST");
      if (call.method().equals("POST")) {
        JsonNode body = object(call, security);
        List<ManagementException.Violation> violations = new ArrayList<>();
        SecurityService.UserInput user = user(body, violations);
        char[] password = password(body, violations);
        done(violations);
        call.send(security.create(call.caller(), user, password));
      } else {
        call.send(security.users(call.caller(), call.query("userId"), call.query("source")));
      }
    } else if (call.matches("v1", "security", "users", "*")) {
      call.allow("PUT", "DELETE");
      if (call.method().equals("PUT")) {
        List<ManagementException.Violation> violations = new ArrayList<>();
        SecurityService.UserInput user = user(object(call, security), violations);
        done(violations);
        security.update(call.caller(), call.segment(3), user);
      } else {
        security.delete(call.caller(), call.segment(3));
      }
      call.status(204);
    } else if (call.matches("v1", "security", "users", "*", "change-password")) {
      call.allow("PUT");
      security.requirePasswordChange(call.caller(), call.segment(3));
      security.changePassword(call.caller(), call.segment(3), text(call));
      call.status(204);
    } else if (call.matches("v1", "security", "roles")) {
      call.allow("GET", "POST");
      if (call.method().equals("POST")) {
        call.send(security.create(call.caller(), role(object(call, security))));
      } else {
        call.send(security.roles(call.caller(), call.query("source")));
      }
    } else if (call.matches("v1", "security", "roles", "*")) {
      call.allow("GET", "PUT", "DELETE");
      switch (call.method()) {
        case "PUT" -> {
          security.update(call.caller(), call.segment(3), role(object(call, security)));
          call.status(204);
        }
        case "DELETE" -> {
          security.deleteRole(call.caller(), call.segment(3));
          call.status(204);
        }
        default -> call.send(security.role(call.caller(), call.segment(3)));
      }
    } else if (call.matches("v1", "security", "realms", "available")) {
      call.allow("GET");
      call.send(security.availableRealms(call.caller()));
    } else if (call.matches("v1", "security", "realms", "active")) {
      call.allow("GET", "PUT");
      if (call.method().equals("PUT")) {
        security.requireAdmin(call.caller());
        JsonNode body = call.json();
        if (!body.isArray()) {
          throw ManagementException.invalid("*", "the body must be an array of realm ids, e.g. [\"DockerToken\"]");
        }
        security.activeRealms(call.caller(), strings(body, "*", new ArrayList<>()));
        call.status(204);
      } else {
        call.send(security.activeRealms(call.caller()));
      }
    } else if (call.matches("v1", "security", "anonymous")) {
      call.allow("GET", "PUT");
      if (call.method().equals("PUT")) {
        JsonNode body = object(call, security);
        List<ManagementException.Violation> violations = new ArrayList<>();
        JsonNode enabled = body.get("enabled");
        if (enabled != null && !enabled.isNull() && !enabled.isBoolean()) {
          violations.add(new ManagementException.Violation("enabled", "must be true or false"));
        }
        String userId = string(body, "userId", violations);
        String realmName = string(body, "realmName", violations);
        done(violations);
        call.send(security.anonymous(call.caller(), enabled == null || enabled.isNull() ? null : enabled.booleanValue(),
            userId, realmName));
      } else {
        call.send(security.anonymous(call.caller()));
      }
    } else {
      return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- bodies

  /**
   * The body as a JSON object; the caller is checked first, so an anonymous caller or one who is
   * no administrator gets its 401 or 403 before a word about its body.
   */
  private static JsonNode object(RestCall call, SecurityService security) {
    security.requireAdmin(call.caller());
    JsonNode body = call.json();
    if (!body.isObject()) {
      throw ManagementException.invalid("*", "the body must be a JSON object");
    }
    return body;
  }

  private static SecurityService.UserInput user(JsonNode body, List<ManagementException.Violation> violations) {
    SecurityService.UserInput in = new SecurityService.UserInput(string(body, "userId", violations),
        string(body, "firstName", violations), string(body, "lastName", violations),
        string(body, "emailAddress", violations), string(body, "status", violations),
        strings(body.get("roles"), "roles", violations));
    return in;
  }

  private static char[] password(JsonNode body, List<ManagementException.Violation> violations) {
    JsonNode p = body.get("password");
    if (p == null || p.isNull() || !p.isString()) {
      violations.add(new ManagementException.Violation("password", p == null || p.isNull() ? "missing" : "must be a string"));
      return new char[0];
    }
    return p.stringValue().toCharArray();
  }

  private static SecurityService.RoleInput role(JsonNode body) {
    List<ManagementException.Violation> violations = new ArrayList<>();
    SecurityService.RoleInput in = new SecurityService.RoleInput(string(body, "id", violations),
        string(body, "name", violations), string(body, "description", violations),
        strings(body.get("privileges"), "privileges", violations), strings(body.get("roles"), "roles", violations));
    done(violations);
    return in;
  }

  /** A string field of a request body; absent or null: null; another type: a violation of {@code field}. */
  static String string(JsonNode body, String field, List<ManagementException.Violation> violations) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isString()) {
      violations.add(new ManagementException.Violation(field, "must be a string"));
      return null;
    }
    return n.stringValue();
  }

  /** An array of strings; absent or null: empty. */
  private static List<String> strings(JsonNode n, String field, List<ManagementException.Violation> violations) {
    if (n == null || n.isNull()) {
      return List.of();
    }
    if (!n.isArray()) {
      violations.add(new ManagementException.Violation(field, "must be an array of strings"));
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isString()) {
        violations.add(new ManagementException.Violation(field, "must be an array of strings"));
        return List.of();
      }
      out.add(e.stringValue());
    }
    return out;
  }

  private static void done(List<ManagementException.Violation> violations) {
    if (!violations.isEmpty()) {
      throw ManagementException.invalid(violations);
    }
  }

  /**
   * The plain-text body of change-password, as Nexus takes it: the password itself (UTF-8, one
   * trailing newline dropped, which {@code curl --data-binary @file} and editors add).
   */
  private static char[] text(RestCall call) {
    byte[] body;
    try (InputStream in = call.request().getInputStream()) {
      body = in.readNBytes(RestCall.MAX_BODY + 1);
    } catch (IOException e) {
      throw new ManagementException(ManagementException.Reason.BAD_REQUEST, "could not read the body: " + e);
    }
    try {
      if (body.length > RestCall.MAX_BODY) {
        throw ManagementException.invalid("password", "the body is larger than " + RestCall.MAX_BODY + " bytes");
      }
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
      int end = chars.remaining();
      if (end > 0 && chars.get(end - 1) == '\n') {
        end--;
        if (end > 0 && chars.get(end - 1) == '\r') {
          end--;
        }
      }
      char[] password = new char[end];
      chars.get(password);
      Arrays.fill(chars.array(), '\0');
      if (password.length == 0) {
        throw ManagementException.invalid("password", "missing: the body is the new password, as text/plain");
      }
      return password;
    } catch (CharacterCodingException e) {
      throw ManagementException.invalid("password", "the body is not UTF-8 text");
    } finally {
      Arrays.fill(body, (byte) 0);
    }
  }
}
