package io.wharf.server.auth;

import java.util.List;
import java.util.Objects;

/**
 * Who a {@link UserSource} says a user is: the name requests and tokens carry, the realm that
 * vouched for it, and the Wharf roles it holds there (for a directory: its groups, mapped).
 */
public record Identity(String name, Realm realm, List<String> roles) {
  public Identity {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(realm, "realm");
    roles = roles == null ? List.of() : List.copyOf(roles);
  }
}
