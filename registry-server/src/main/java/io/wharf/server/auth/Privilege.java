package io.wharf.server.auth;

import java.util.Locale;
import java.util.Objects;

/**
 * One privilege of a role, written {@code <repository>:<action>} as in Nexus's
 * {@code nx-repository-view-docker-<repo>-<action>}: {@code docker-hosted:write},
 * {@code docker-all:read}, {@code *:read} (any repository), {@code releases:admin} or
 * {@code releases:*} (every action).
 *
 * @param repository a repository name, or {@code *} for any
 * @param action what it allows there; {@link Action#ADMIN} allows every action
 */
public record Privilege(String repository, Action action) {
  /** The repository of a privilege on every repository. */
  public static final String ANY = "*";
  /**
   * Admin on every repository ({@code *:admin}, Nexus's {@code nx-all}): what makes a user an
   * administrator of the server, who may manage users, roles and realms.
   */
  public static final Privilege ALL = new Privilege(ANY, Action.ADMIN);

  /**
   * Checks that both parts are there.
   *
   * @throws NullPointerException if {@code repository} or {@code action} is null
   * @param repository a repository name, or {@code *} for any
   * @param action what it allows there
   */
  public Privilege {
    Objects.requireNonNull(repository, "repository");
    Objects.requireNonNull(action, "action");
  }

  /**
   * Parses {@code <repository>:<read|write|delete|admin|*>}.
   *
   * @throws IllegalArgumentException with a message that says what is wrong
   * @param text the privilege as a role lists it
   * @return the privilege
   */
  public static Privilege parse(String text) {
    int colon = text == null ? -1 : text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("\"" + text + "\" is not <repository>:<action>, e.g. docker-hosted:write");
    }
    String repository = text.substring(0, colon);
    String action = text.substring(colon + 1).toLowerCase(Locale.ROOT);
    Action a = switch (action) {
      case "read" -> Action.READ;
      case "write" -> Action.WRITE;
      case "delete" -> Action.DELETE;
      case "admin", "*" -> Action.ADMIN;
      default -> throw new IllegalArgumentException("\"" + text + "\": unknown action \"" + action
          + "\"; known: read, write, delete, admin, *");
    };
    return new Privilege(repository, a);
  }

  /** Whether this privilege allows {@code action} on the repository named {@code repositoryName}. */
  boolean grants(String repositoryName, Action wanted) {
    return (repository.equals(ANY) || repository.equals(repositoryName)) && action.implies(wanted);
  }

  @Override
  public String toString() {
    return repository + ":" + action.configName();
  }
}
