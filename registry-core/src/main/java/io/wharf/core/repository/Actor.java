package io.wharf.core.repository;

/**
 * Who is changing a repository right now, for the records repositories keep (tag history) and
 * for what they tell listeners (a quota's warnings): the user name, or null for anonymous, and
 * where the request came from. Request-scoped through a thread-local, like {@link Warnings}: the
 * server calls {@link #begin} after authenticating a request and {@link #end} when it is done.
 */
public final class Actor {
  private record Who(String user, String address, String userAgent) {}

  private static final ThreadLocal<Who> CURRENT = new ThreadLocal<>();

  private Actor() {}

  /**
   * Marks the calling thread as serving a request of {@code user}, address and agent unknown.
   *
   * @param user the authenticated user, or null for anonymous
   */
  public static void begin(String user) {
    begin(user, null, null);
  }

  /**
   * Marks the calling thread as serving a request of {@code user}, from {@code address}.
   *
   * @param user the authenticated user, or null for anonymous
   * @param address the client's address (null if unknown)
   * @param userAgent the client's {@code User-Agent} (null if none)
   */
  public static void begin(String user, String address, String userAgent) {
    CURRENT.set(new Who(user, address, userAgent));
  }

  /**
   * The current request's user; null for anonymous or outside a request.
   *
   * @return the user name, or null
   */
  public static String current() {
    Who w = CURRENT.get();
    return w == null ? null : w.user();
  }

  /**
   * The current request's client address; null outside a request.
   *
   * @return the address, or null
   */
  public static String address() {
    Who w = CURRENT.get();
    return w == null ? null : w.address();
  }

  /**
   * The current request's user agent; null outside a request or without one.
   *
   * @return the user agent, or null
   */
  public static String userAgent() {
    Who w = CURRENT.get();
    return w == null ? null : w.userAgent();
  }

  /** Ends the request on the calling thread: {@link #current()} is null again. */
  public static void end() {
    CURRENT.remove();
  }
}
