package io.wharf.server.admin;

/**
 * Who asks the management services: an authenticated user, or anonymous ({@code user} null).
 * The faces (REST API, later the UI) authenticate the request and hand the services a caller;
 * the services never see HTTP.
 */
public record Caller(String user) {
  public static final Caller ANONYMOUS = new Caller(null);

  public static Caller user(String name) {
    return name == null ? ANONYMOUS : new Caller(name);
  }

  public boolean isAnonymous() {
    return user == null;
  }
}
