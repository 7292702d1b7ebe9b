package io.wharf.server.auth;

import java.util.Locale;

/** How clients log in, as Nexus calls it: the realms of {@code security.realms}. */
public enum Realm {
  /**
   * Bearer tokens from the token endpoint {@code <base>/v2/token} (the Docker token protocol),
   * Nexus's "Docker Bearer Token Realm". What docker, podman, skopeo, containerd and Jib do first.
   */
  DOCKER_TOKEN("docker-token"),
  /** Basic credentials on every request: for simple clients (curl, scripts). */
  BASIC("basic");

  private final String configName;

  Realm(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  /** The realm a config word names, e.g. {@code docker-token}. */
  public static Realm parse(String name) {
    for (Realm r : values()) {
      if (r.configName.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown realm \"" + name + "\"; known: docker-token, basic");
  }
}
