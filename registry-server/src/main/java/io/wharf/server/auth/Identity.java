package io.wharf.server.auth;

import java.util.List;
import java.util.Objects;

/**
 * Who a {@link UserSource} says a user is: the name requests and tokens carry, the realm that
 * vouched for it, and the Wharf roles it holds there (for a directory: its groups, mapped).
 *
 * @param name the user name
 * @param realm the realm of the source that vouched for it
 * @param roles the Wharf roles it holds (null: none)
 */
public record Identity(String name, Realm realm, List<String> roles) {
  /**
   * Checks the name and realm and copies the roles.
   *
   * @throws NullPointerException if {@code name} or {@code realm} is null
   * @param name the user name
   * @param realm the realm of the source that vouched for it
   * @param roles the Wharf roles it holds (null: none)
   */
  public Identity {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(realm, "realm");
    roles = roles == null ? List.of() : List.copyOf(roles);
  }
}
