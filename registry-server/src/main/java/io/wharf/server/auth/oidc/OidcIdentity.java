package io.wharf.server.auth.oidc;

import java.util.List;
import java.util.Objects;

/**
 * Who signed in through the provider: the user name (from the configured claim), the provider's
 * stable subject, the groups it reported and the Wharf roles they map to.
 */
public record OidcIdentity(String user, String subject, List<String> groups, List<String> roles) {
  public OidcIdentity {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(subject, "subject");
    groups = List.copyOf(groups);
    roles = List.copyOf(roles);
  }
}
