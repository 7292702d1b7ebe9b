package io.wharf.server.admin;

/**
 * Who asks the management services: an authenticated user, or anonymous ({@code user} null),
 * and where from (for the events their changes cause; null when not known). The faces (REST API,
 * later the UI) authenticate the request and hand the services a caller; the services never see HTTP.
 *
 * @param user the authenticated user's id; null: anonymous
 * @param address the client's address, for the actor of the events the call causes; null: not known
 * @param userAgent the client's {@code User-Agent}, likewise; null: not known
 */
public record Caller(String user, String address, String userAgent) {
  /**
   * A caller nobody authenticated: what an open server's requests and a secured server's
   * requests without credentials are. The services let it do what the anonymous access allows.
   */
  public static final Caller ANONYMOUS = new Caller(null);

  Caller(String user) {
    this(user, null, null);
  }

  /**
   * A caller known only by name (no address or user agent), as the UI's session knows it.
   *
   * @param name the user's id; null gives {@link #ANONYMOUS}
   * @return the caller
   */
  public static Caller user(String name) {
    return name == null ? ANONYMOUS : new Caller(name);
  }

  /** {@code user} (null: anonymous) calling from {@code address} with {@code userAgent}. */
  static Caller of(String user, String address, String userAgent) {
    return new Caller(user, address, userAgent);
  }

  /**
   * Whether nobody authenticated this caller.
   *
   * @return true when {@code user} is null
   */
  public boolean isAnonymous() {
    return user == null;
  }

  /** This caller as the actor of an event. */
  io.wharf.server.events.Event.Actor actor() {
    return new io.wharf.server.events.Event.Actor(user, address, userAgent);
  }
}
