package io.wharf.server.admin;

import io.wharf.server.auth.ApiCredentials;
import io.wharf.server.auth.CredentialScope;
import io.wharf.server.auth.Identity;
import io.wharf.server.auth.Realm;
import io.wharf.server.auth.RegistrySecurity;
import io.wharf.server.config.ConfigException;
import io.wharf.server.config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Robot accounts and personal API tokens as the API ({@link CredentialEndpoints}) and the web UI
 * both manage them: who may (administrators manage robots; every signed-in user their own
 * tokens), and the refusals in the API's words ({@code field: message}, 400; a taken name, 409).
 * The secrets themselves are made, hashed and checked by {@link ApiCredentials}.
 */
public final class CredentialService {
  private final RegistrySecurity security;
  private final ApiCredentials credentials;

  /** @param security null: an open server (every call is refused, 409) */
  CredentialService(RegistrySecurity security, ApiCredentials credentials) {
    this.security = security;
    this.credentials = credentials;
  }

  /** The expiry rules: the default, whether "never" is allowed. */
  public ApiCredentials.Policy policy() {
    return credentials == null ? ApiCredentials.Policy.DEFAULT : credentials.policy();
  }

  /** Whether this server has credentials at all (it has security). */
  boolean enabled() {
    return security != null && credentials != null;
  }

  /** The robot-account name for {@code name}: {@code ci} and {@code robot$ci} both name {@code robot$ci}. */
  public static String robotName(String name) {
    return name == null || name.startsWith(ApiCredentials.ROBOT_PREFIX) ? name : ApiCredentials.ROBOT_PREFIX + name;
  }

  // ---------------------------------------------------------------- robots

  public List<ApiCredentials.View> robots(Caller caller) {
    requireAdmin(caller);
    return credentials.robots();
  }

  /**
   * Makes a robot account; the result holds its secret, shown this once.
   *
   * @param expiresIn null: the default; {@link Duration#ZERO}: never (see {@link #expiresIn})
   */
  public ApiCredentials.WithSecret createRobot(Caller caller, String name, String description, CredentialScope scope,
      Duration expiresIn) {
    String admin = requireAdmin(caller);
    try {
      return credentials.createRobot(robotName(name), description, scope, expiresIn, admin);
    } catch (IllegalArgumentException e) {
      throw invalid(e);
    } catch (IllegalStateException e) {
      throw new ManagementException(ManagementException.Reason.CONFLICT, e.getMessage());
    }
  }

  /** Deletes a robot account (404 if there is none); its next request fails. */
  public void deleteRobot(Caller caller, String name) {
    String admin = requireAdmin(caller);
    if (!credentials.deleteRobot(robotName(name), admin)) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no robot account " + robotName(name));
    }
  }

  // ---------------------------------------------------------------- the caller's API tokens

  public List<ApiCredentials.View> tokens(Caller caller) {
    return credentials.tokens(requireUser(caller));
  }

  /**
   * Makes an API token for the caller; the result holds the token, shown this once.
   *
   * @param scope null: the caller's own rights
   */
  public ApiCredentials.WithSecret createToken(Caller caller, String name, CredentialScope scope, Duration expiresIn) {
    String me = requireUser(caller);
    try {
      // a user who signed in through single sign-on: the token keeps the roles of that sign-in
      Identity sso = security.sources().remembered(me).filter(i -> i.realm() == Realm.OIDC).orElse(null);
      return credentials.createToken(me, name, scope, expiresIn, sso);
    } catch (IllegalArgumentException e) {
      throw invalid(e);
    } catch (IllegalStateException e) {
      throw new ManagementException(ManagementException.Reason.CONFLICT, e.getMessage());
    }
  }

  /** Revokes the caller's API token {@code id} (404 if it has none such); its next use fails. */
  public void deleteToken(Caller caller, String id) {
    String me = requireUser(caller);
    if (id == null || id.isEmpty() || !credentials.deleteToken(me, id, me)) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "user " + me + " has no API token " + id);
    }
  }

  // ---------------------------------------------------------------- who may

  /** The caller's user name; refused when anonymous (401) or on an open server (409). */
  public String requireUser(Caller caller) {
    if (!enabled()) {
      throw new ManagementException(ManagementException.Reason.CONFLICT,
          "security is off: this server's configuration has no security section, so there are no credentials");
    }
    if (caller.isAnonymous()) {
      throw new ManagementException(ManagementException.Reason.UNAUTHENTICATED, "authentication required");
    }
    return caller.user();
  }

  /** The caller's user name if it administers the server ({@code nx-all}, {@code *:admin}); else 403. */
  public String requireAdmin(Caller caller) {
    String user = requireUser(caller);
    if (!security.administers(user)) {
      throw new ManagementException(ManagementException.Reason.FORBIDDEN,
          "user " + user + " is no administrator (needs nx-all, *:admin)");
    }
    return user;
  }

  // ---------------------------------------------------------------- input

  /**
   * {@code expiresIn} as the API reads it: absent (null: the default), {@code never}
   * ({@link Duration#ZERO}) or a duration such as {@code 30d}; a bad one adds a violation.
   */
  public static Duration expiresIn(String text, List<ManagementException.Violation> violations) {
    if (text == null) {
      return null;
    }
    if (text.equals("never")) {
      return Duration.ZERO;
    }
    try {
      Duration d = Durations.parse(text, "expiresIn");
      if (d.isZero()) {
        violations.add(new ManagementException.Violation("expiresIn", "must be longer than 0 (or \"never\")"));
      }
      return d;
    } catch (ConfigException e) {
      violations.add(new ManagementException.Violation("expiresIn", "\"" + text
          + "\" is no duration; write 30d, 12h, 90m, or never"));
      return null;
    }
  }

  /** The credentials' {@code field: message} lines as a 400 naming each field. */
  static ManagementException invalid(IllegalArgumentException e) {
    List<ManagementException.Violation> violations = new ArrayList<>();
    for (String line : e.getMessage().split("\n")) {
      int colon = line.indexOf(": ");
      violations.add(colon < 0 ? new ManagementException.Violation("*", line)
          : new ManagementException.Violation(line.substring(0, colon), line.substring(colon + 2)));
    }
    return ManagementException.invalid(violations);
  }
}
