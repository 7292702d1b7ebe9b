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

  /**
   * The expiry rules the forms show and the credentials apply.
   *
   * @return the configured default expiry and whether "never" is allowed ({@code security.robots});
   *     the defaults on a server without security
   */
  public ApiCredentials.Policy policy() {
    return credentials == null ? ApiCredentials.Policy.DEFAULT : credentials.policy();
  }

  /** Whether this server has credentials at all (it has security). */
  boolean enabled() {
    return security != null && credentials != null;
  }

  /**
   * The robot-account name a caller means: robots log in as {@code robot$NAME}, and a caller may
   * write either form.
   *
   * @param name {@code ci} or {@code robot$ci}; null stays null
   * @return {@code robot$ci} for both
   */
  public static String robotName(String name) {
    return name == null || ApiCredentials.isRobotName(name) ? name : ApiCredentials.ROBOT_PREFIX + name;
  }

  // ---------------------------------------------------------------- robots

  /**
   * Every robot account, without secrets.
   *
   * @param caller an administrator ({@code nx-all}, {@code *:admin})
   * @return the robots with their scopes, expiries and last uses
   * @throws ManagementException {@code UNAUTHENTICATED} for an anonymous caller, {@code FORBIDDEN}
   *     for a user who is no administrator, {@code CONFLICT} on a server without security
   */
  public List<ApiCredentials.View> robots(Caller caller) {
    requireAdmin(caller);
    return credentials.robots();
  }

  /**
   * Makes a robot account; the result holds its secret, shown this once.
   *
   * @param caller an administrator ({@code nx-all}, {@code *:admin}), recorded as its creator
   * @param name the robot's name, with or without {@code robot$} ({@link #robotName})
   * @param description free text for people; null allowed
   * @param scope the repositories and actions it may use
   * @param expiresIn null: the default; {@link Duration#ZERO}: never (see {@link #expiresIn})
   * @return the robot and its secret, which is never shown again
   * @throws ManagementException {@code BAD_REQUEST} naming each field at fault; {@code CONFLICT} if the
   *     name is taken;
   *     {@code UNAUTHENTICATED} for an anonymous caller, {@code FORBIDDEN}
   *     for a user who is no administrator, {@code CONFLICT} on a server without security
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

  /**
   * Deletes a robot account; its next request fails.
   *
   * @param caller an administrator ({@code nx-all}, {@code *:admin})
   * @param name the robot's name, with or without {@code robot$}
   * @throws ManagementException {@code NOT_FOUND} if there is no such robot;
   *     {@code UNAUTHENTICATED} for an anonymous caller, {@code FORBIDDEN}
   *     for a user who is no administrator, {@code CONFLICT} on a server without security
   */
  public void deleteRobot(Caller caller, String name) {
    String admin = requireAdmin(caller);
    if (!credentials.deleteRobot(robotName(name), admin)) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "no robot account " + robotName(name));
    }
  }

  // ---------------------------------------------------------------- the caller's API tokens

  /**
   * The caller's own API tokens, without secrets; nobody sees another user's.
   *
   * @param caller a signed-in user
   * @return its tokens with their scopes, expiries and last uses
   * @throws ManagementException {@code UNAUTHENTICATED} for an anonymous caller, {@code CONFLICT} on
   *     a server without security
   */
  public List<ApiCredentials.View> tokens(Caller caller) {
    return credentials.tokens(requireUser(caller));
  }

  /**
   * Makes an API token for the caller; the result holds the token, shown this once.
   *
   * @param caller a signed-in user, who owns the token; one signed in through single sign-on
   *     gives the token the roles of that sign-in
   * @param name the token's name, for people
   * @param scope null: the caller's own rights
   * @param expiresIn null: the default; {@link Duration#ZERO}: never (see {@link #expiresIn})
   * @return the token and its secret, which is never shown again
   * @throws ManagementException {@code BAD_REQUEST} naming each field at fault; {@code CONFLICT} when
   *     the caller has 100 tokens already (the limit);
   *     {@code UNAUTHENTICATED} for an anonymous caller, {@code CONFLICT} on
   *     a server without security
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

  /**
   * Revokes one of the caller's API tokens; its next use fails.
   *
   * @param caller a signed-in user
   * @param id the token's id, as listed
   * @throws ManagementException {@code NOT_FOUND} if the caller has no token of that id (another
   *     user's included); {@code UNAUTHENTICATED} for an anonymous caller, {@code CONFLICT} on
   *     a server without security
   */
  public void deleteToken(Caller caller, String id) {
    String me = requireUser(caller);
    if (id == null || id.isEmpty() || !credentials.deleteToken(me, id, me)) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "user " + me + " has no API token " + id);
    }
  }

  // ---------------------------------------------------------------- who may

  /**
   * Refuses callers who cannot own credentials.
   *
   * @param caller who asks
   * @return the caller's user name
   * @throws ManagementException {@code UNAUTHENTICATED} for an anonymous caller, {@code CONFLICT} on
   *     a server without security
   */
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

  /**
   * Refuses callers who do not administer the server ({@code nx-all}, {@code *:admin}).
   *
   * @param caller who asks
   * @return the caller's user name
   * @throws ManagementException {@code UNAUTHENTICATED} for an anonymous caller, {@code FORBIDDEN}
   *     for a user who is no administrator, {@code CONFLICT} on a server without security
   */
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
   *
   * @param text the field as given; null when absent
   * @param violations where a bad value is reported, as field {@code expiresIn}
   * @return the duration; null when absent or bad
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
