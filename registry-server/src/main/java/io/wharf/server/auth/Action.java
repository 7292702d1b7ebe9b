package io.wharf.server.auth;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a request does to a repository, Nexus-style. {@link #ADMIN} implies the others. The
 * Docker token spec names them {@code pull}, {@code push} and {@code delete} ({@code *}: all).
 */
public enum Action {
  /** Pull: read manifests, blobs, tags and the catalog. */
  READ("pull"),
  /** Push: upload blobs and put manifests and tags. */
  WRITE("push"),
  /** Delete manifests, tags and blobs. */
  DELETE("delete"),
  /** Everything above, and managing the repository; no Docker action grants it. */
  ADMIN(null);

  private final String dockerName;

  Action(String dockerName) {
    this.dockerName = dockerName;
  }

  /** The action's name in a Docker token scope, or {@code null} for {@link #ADMIN}. */
  String dockerName() {
    return dockerName;
  }

  /**
   * The privilege word of a role ({@code read}, {@code write}, {@code delete}, {@code admin}).
   *
   * @return the lower-case name
   */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether holding this action lets one do {@code wanted}. */
  boolean implies(Action wanted) {
    return this == wanted || this == ADMIN;
  }

  /**
   * The actions a Docker scope action stands for: {@code pull}, {@code push}, {@code delete}, or
   * {@code *} (all three); empty for anything else.
   */
  static Set<Action> fromDocker(String action) {
    return switch (action) {
      case "pull" -> EnumSet.of(READ);
      case "push" -> EnumSet.of(WRITE);
      case "delete" -> EnumSet.of(DELETE);
      case "*" -> EnumSet.of(READ, WRITE, DELETE);
      default -> EnumSet.noneOf(Action.class);
    };
  }
}
