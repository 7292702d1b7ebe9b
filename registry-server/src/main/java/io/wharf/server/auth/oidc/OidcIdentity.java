package io.wharf.server.auth.oidc;

import java.util.List;
import java.util.Objects;

/**
 * Who signed in through the provider: the user name (from the configured claim), the provider's
 * stable subject, the groups it reported and the Wharf roles they map to.
 *
 * @param user the Wharf user name, from the configured claim
 * @param subject the provider's {@code sub}: stable, unlike the name
 * @param groups the groups the provider reported
 * @param roles the Wharf roles of the groups and the default roles
 */
public record OidcIdentity(String user, String subject, List<String> groups, List<String> roles) {
  /**
   * Checks the names and copies the lists.
   *
   * @param user the Wharf user name
   * @param subject the provider's {@code sub}
   * @param groups the groups the provider reported
   * @param roles the Wharf roles
   * @throws NullPointerException if any part is null
   */
  public OidcIdentity {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(subject, "subject");
    groups = List.copyOf(groups);
    roles = List.copyOf(roles);
  }
}
