package io.wharf.core.repository;

/**
 * Who is changing a repository right now, for the records repositories keep (tag history): the
 * user name, or null for anonymous. Request-scoped through a thread-local, like {@link Warnings}:
 * the server calls {@link #begin} after authenticating a request and {@link #end} when it is done.
 */
public final class Actor {
  private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

  private Actor() {}

  public static void begin(String user) {
    CURRENT.set(user);
  }

  /** The current request's user; null for anonymous or outside a request. */
  public static String current() {
    return CURRENT.get();
  }

  public static void end() {
    CURRENT.remove();
  }
}
