package io.wharf.server.admin;

/**
 * Who asks the management services: an authenticated user, or anonymous ({@code user} null),
 * and where from (for the events their changes cause; null when not known). The faces (REST API,
 * later the UI) authenticate the request and hand the services a caller; the services never see HTTP.
 */
public record Caller(String user, String address, String userAgent) {
  public static final Caller ANONYMOUS = new Caller(null);

  Caller(String user) {
    this(user, null, null);
  }

  public static Caller user(String name) {
    return name == null ? ANONYMOUS : new Caller(name);
  }

  /** {@code user} (null: anonymous) calling from {@code address} with {@code userAgent}. */
  static Caller of(String user, String address, String userAgent) {
    return new Caller(user, address, userAgent);
  }

  public boolean isAnonymous() {
    return user == null;
  }

  /** This caller as the actor of an event. */
  io.wharf.server.events.Event.Actor actor() {
    return new io.wharf.server.events.Event.Actor(user, address, userAgent);
  }
}
