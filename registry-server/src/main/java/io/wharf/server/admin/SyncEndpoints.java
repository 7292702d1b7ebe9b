package io.wharf.server.admin;

import java.io.IOException;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The outbound credentials pull and push rules use, in Wharf's API (the rules' own routes are
 * {@link RuleEndpoints}'):
 * <pre>
 * GET    /v1/credentials          the outbound credentials, never a password (administrators)
 * POST   /v1/credentials          create: {name, username, password | passwordFile}: 201
 * GET    /v1/credentials/{name}   one
 * PUT    /v1/credentials/{name}   change credentials the API created (no password: kept)
 * DELETE /v1/credentials/{name}   delete credentials the API created, unless a rule uses them: 204
 * </pre>
 * See {@link RuleSettingsService}.
 */
final class SyncEndpoints implements RestEndpoints {
  private final RuleSettingsService rules;
  private final Consumer<Caller> requireAdmin;

  /**
   * The credentials' routes.
   *
   * @param rules the credentials (and rules) created through the API
   * @param requireAdmin refuses a caller who is not a server administrator
   */
  SyncEndpoints(RuleSettingsService rules, Consumer<Caller> requireAdmin) {
    this.rules = Objects.requireNonNull(rules);
    this.requireAdmin = Objects.requireNonNull(requireAdmin);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    if (call.matches("v1", "credentials")) {
      call.allow("GET", "POST");
      requireAdmin.accept(call.caller());
      if (call.method().equals("POST")) {
        RuleSettingsService.CredentialView created = rules.createCredential(call.json());
        call.header("Location", call.base() + "/wharf/api/v1/credentials/" + created.name());
        call.send(201, created);
      } else {
        call.send(rules.credentials());
      }
      return true;
    }
    if (call.matches("v1", "credentials", "*")) {
      call.allow("GET", "PUT", "DELETE");
      requireAdmin.accept(call.caller());
      switch (call.method()) {
        case "PUT" -> call.send(rules.updateCredential(call.segment(2), call.json()));
        case "DELETE" -> {
          rules.deleteCredential(call.segment(2));
          call.status(204);
        }
        default -> call.send(rules.credential(call.segment(2)));
      }
      return true;
    }
    return false;
  }
}
