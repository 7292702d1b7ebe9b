package io.wharf.server.auth;

import java.util.Locale;

/** How clients log in, as Nexus calls it: the realms of {@code security.realms}. */
public enum Realm {
  /**
   * Bearer tokens from the token endpoint {@code <base>/v2/token} (the Docker token protocol),
   * Nexus's "Docker Bearer Token Realm". What docker, podman, skopeo, containerd and Jib do first.
   */
  DOCKER_TOKEN("docker-token"),
  /**
   * Basic credentials on every request: for simple clients (curl, scripts). Also stands for the
   * local users (Nexus's "Local Authenticating Realm") in the order of user sources.
   */
  BASIC("basic"),
  /**
   * A source of users, not a way to present credentials: the company directory
   * ({@code security.ldap}), asked where it stands in the list (see {@link UserSources}).
   */
  LDAP("ldap"),
  /**
   * People signed in to the web UI through an OpenID Connect provider ({@code security.oidc}).
   * Not a word of {@code security.realms}: the provider vouches for them once, at sign-in.
   */
  OIDC("oidc");

  private final String configName;

  Realm(String configName) {
    this.configName = configName;
  }

  /**
   * The realm's word in the config file and the management API.
   *
   * @return e.g. {@code docker-token}
   */
  public String configName() {
    return configName;
  }

  /**
   * Whether this realm is a way to present credentials (docker-token, basic), not only a source of users.
   *
   * @return true for docker-token and basic
   */
  public boolean presentsCredentials() {
    return this != LDAP && this != OIDC;
  }

  /**
   * The realm a config word names, e.g. {@code docker-token}.
   *
   * @param name the word, in any case
   * @return the realm
   * @throws IllegalArgumentException for an unknown word, and for {@code oidc} (no word of {@code security.realms})
   */
  public static Realm parse(String name) {
    for (Realm r : values()) {
      if (r != OIDC && r.configName.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown realm \"" + name + "\"; known: docker-token, basic, ldap");
  }
}
