package io.wharf.server.admin;

import io.wharf.server.auth.ApiCredentials;
import io.wharf.server.auth.CredentialScope;
import io.wharf.server.auth.RegistrySecurity;
import io.wharf.server.auth.TokenKeys;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import tools.jackson.databind.JsonNode;

/**
 * Robot accounts, personal API tokens and the token signing keys, on Wharf's API:
 * <pre>
 * GET    /v1/robots                        every robot account (administrators)
 * POST   /v1/robots                        make one: {name, description, scope, expiresIn}; 201 with its secret, once
 * GET    /v1/robots/{name}                 one ({name}: robot$ci, or ci)
 * PUT    /v1/robots/{name}                 {"disabled": true|false}
 * DELETE /v1/robots/{name}                 delete it (204); its next request fails
 * POST   /v1/robots/{name}/secret          a new secret, shown once; the old one fails at once
 * GET    /v1/users/me/tokens               the caller's API tokens
 * POST   /v1/users/me/tokens               make one: {name, scope (optional), expiresIn}; 201 with the token, once
 * DELETE /v1/users/me/tokens/{id}          revoke one (204)
 * GET    /v1/users/{user}/tokens           a user's API tokens (administrators)
 * DELETE /v1/users/{user}/tokens/{id}      revoke one of them (administrators)
 * GET    /v1/security/keys                 the token signing keys that verify now (administrators)
 * POST   /v1/security/keys/rotate          a new key signs from now on (administrators)
 * </pre>
 * No answer but those of the create and new-secret calls ever holds a secret.
 */
final class CredentialEndpoints implements RestEndpoints {
  private final RegistrySecurity security;
  private final ApiCredentials credentials;
  private final CredentialService service;

  /** @param security null: an open server (every call is refused, 409) */
  CredentialEndpoints(RegistrySecurity security, ApiCredentials credentials) {
    this.security = security;
    this.credentials = credentials;
    this.service = new CredentialService(security, credentials);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    List<String> s = call.segments();
    if (s.size() < 2 || !s.get(0).equals("v1")) {
      return false;
    }
    if (s.get(1).equals("robots")) {
      robots(call);
      return true;
    }
    if (s.size() >= 4 && s.size() <= 5 && s.get(1).equals("users") && s.get(3).equals("tokens")) {
      tokens(call);
      return true;
    }
    if (call.matches("v1", "security", "keys")) {
      call.allow("GET");
      requireAdmin(call.caller());
      call.send(keys().describe());
      return true;
    }
    if (call.matches("v1", "security", "keys", "rotate")) {
      call.allow("POST");
      requireAdmin(call.caller());
      try {
        call.send(keys().rotate());
      } catch (IllegalStateException e) {
        throw new ManagementException(ManagementException.Reason.CONFLICT, e.getMessage());
      }
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- robots

  private void robots(RestCall call) throws IOException {
    if (call.matches("v1", "robots")) {
      call.allow("GET", "POST");
      requireAdmin(call.caller());
      if (call.method().equals("POST")) {
        JsonNode body = object(call);
        List<ManagementException.Violation> violations = new ArrayList<>();
        String name = SecurityEndpoints.string(body, "name", violations);
        String description = SecurityEndpoints.string(body, "description", violations);
        CredentialScope scope = scope(body.get("scope"), violations, true);
        Duration expiresIn = expiresIn(body, violations);
        done(violations);
        created(call, service.createRobot(call.caller(), name, description, scope, expiresIn));
      } else {
        call.send(credentials.robots());
      }
      return;
    }
    if (call.segments().size() < 3 || call.segment(2).isEmpty()) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no endpoint at " + call.path());
    }
    String name = robotName(call.segment(2));
    if (call.matches("v1", "robots", "*")) {
      call.allow("GET", "PUT", "DELETE");
      String admin = requireAdmin(call.caller());
      switch (call.method()) {
        case "PUT" -> {
          JsonNode body = object(call);
          JsonNode disabled = body.get("disabled");
          if (disabled == null || !disabled.isBoolean()) {
            throw ManagementException.invalid("disabled", "missing: true (the robot's requests fail) or false");
          }
          call.send(found(() -> credentials.disableRobot(name, disabled.booleanValue(), admin)));
        }
        case "DELETE" -> {
          if (!credentials.deleteRobot(name, admin)) {
            throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no robot account " + name);
          }
          call.status(204);
        }
        default -> call.send(credentials.robot(name).orElseThrow(
            () -> new ManagementException(ManagementException.Reason.NOT_FOUND, "no robot account " + name)));
      }
    } else if (call.matches("v1", "robots", "*", "secret")) {
      call.allow("POST");
      String admin = requireAdmin(call.caller());
      ApiCredentials.WithSecret w = found(() -> credentials.regenerateRobot(name, admin));
      call.send(withSecret(w));
    } else {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no endpoint at " + call.path());
    }
  }

  private static String robotName(String segment) {
    return CredentialService.robotName(segment);
  }

  // ---------------------------------------------------------------- API tokens

  private void tokens(RestCall call) throws IOException {
    String me = requireUser(call.caller());
    String user = call.segment(2).equals("me") ? me : call.segment(2);
    if (!user.equals(me)) {
      requireAdmin(call.caller());
    }
    if (call.segments().size() == 4) {
      call.allow("GET", "POST");
      if (call.method().equals("POST")) {
        if (!user.equals(me)) {
          throw new ManagementException(ManagementException.Reason.FORBIDDEN,
              "API tokens are made by their user (POST /v1/users/me/tokens)");
        }
        JsonNode body = object(call);
        List<ManagementException.Violation> violations = new ArrayList<>();
        String name = SecurityEndpoints.string(body, "name", violations);
        JsonNode scope = body.get("scope");
        CredentialScope parsed = scope == null || scope.isNull() ? null : scope(scope, violations, false);
        Duration expiresIn = expiresIn(body, violations);
        done(violations);
        created(call, service.createToken(call.caller(), name, parsed, expiresIn));
      } else {
        call.send(credentials.tokens(user));
      }
      return;
    }
    call.allow("DELETE");
    if (call.segment(4).isEmpty() || !credentials.deleteToken(user, call.segment(4), me)) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND,
          "user " + user + " has no API token " + call.segment(4));
    }
    call.status(204);
  }

  // ---------------------------------------------------------------- answers

  private static void created(RestCall call, ApiCredentials.WithSecret w) throws IOException {
    call.send(201, withSecret(w));
  }

  /** The credential's fields and its secret, the one time it is shown. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> withSecret(ApiCredentials.WithSecret w) {
    Map<String, Object> out = new LinkedHashMap<>(RestCall.JSON.convertValue(w.credential(), Map.class));
    out.put("secret", w.secret());
    return out;
  }

  private static <T> T found(java.util.function.Supplier<T> action) {
    try {
      return action.get();
    } catch (NoSuchElementException e) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, e.getMessage());
    }
  }

  private TokenKeys keys() {
    if (security.tokens() == null) {
      throw new ManagementException(ManagementException.Reason.CONFLICT,
          "this server issues no bearer tokens (no docker-token realm), so it has no signing keys");
    }
    return security.tokens().keys();
  }

  // ---------------------------------------------------------------- who may

  private String requireUser(Caller caller) {
    return service.requireUser(caller);
  }

  private String requireAdmin(Caller caller) {
    return service.requireAdmin(caller);
  }

  // ---------------------------------------------------------------- bodies

  private static JsonNode object(RestCall call) {
    JsonNode body = call.json();
    if (!body.isObject()) {
      throw ManagementException.invalid("*", "the body must be a JSON object");
    }
    return body;
  }

  /** {@code expiresIn}: absent (the default), {@code "never"} ({@link Duration#ZERO}) or a duration such as {@code 30d}. */
  private static Duration expiresIn(JsonNode body, List<ManagementException.Violation> violations) {
    return CredentialService.expiresIn(SecurityEndpoints.string(body, "expiresIn", violations), violations);
  }

  private static CredentialScope scope(JsonNode n, List<ManagementException.Violation> violations, boolean required) {
    if (n == null || n.isNull()) {
      if (required) {
        violations.add(new ManagementException.Violation("scope",
            "missing: [{\"repositories\": [\"docker-hosted\"], \"actions\": [\"pull\", \"push\"]}]"));
      }
      return null;
    }
    if (!n.isArray()) {
      violations.add(new ManagementException.Violation("scope", "must be an array of rules"));
      return null;
    }
    List<CredentialScope.Rule> rules = new ArrayList<>();
    for (int i = 0; i < n.size(); i++) {
      JsonNode r = n.get(i);
      String field = "scope[" + i + "]";
      if (!r.isObject()) {
        violations.add(new ManagementException.Violation(field, "must be an object: {repositories, images, actions}"));
        continue;
      }
      rules.add(new CredentialScope.Rule(strings(r.get("repositories"), field + ".repositories", violations),
          strings(r.get("images"), field + ".images", violations),
          strings(r.get("actions"), field + ".actions", violations)));
    }
    return new CredentialScope(rules);
  }

  private static List<String> strings(JsonNode n, String field, List<ManagementException.Violation> violations) {
    if (n == null || n.isNull()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (n.isArray()) {
      for (JsonNode e : n) {
        if (!e.isString()) {
          violations.add(new ManagementException.Violation(field, "must be an array of strings"));
          return List.of();
        }
        out.add(e.stringValue());
      }
      return out;
    }
    violations.add(new ManagementException.Violation(field, "must be an array of strings"));
    return List.of();
  }

  private static void done(List<ManagementException.Violation> violations) {
    if (!violations.isEmpty()) {
      throw ManagementException.invalid(violations);
    }
  }

}
