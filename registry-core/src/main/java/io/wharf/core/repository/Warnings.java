package io.wharf.core.repository;

import java.util.ArrayList;
import java.util.List;

/**
 * Warnings a repository wants the client to see with an otherwise successful response, such as
 * "served from cache, upstream unreachable". The server sends each as a
 * {@code Warning: 299 - "<text>"} header, which the distribution spec allows.
 *
 * <p>Request-scoped through a thread-local: the servlet calls {@link #begin()} before it invokes
 * a repository, {@link #take()} just before it commits the response headers, and {@link #end()}
 * when the request is done; repository code (possibly several layers deep, e.g. a proxy inside a
 * group) calls {@link #add}. Outside a request, warnings are dropped.
 */
public final class Warnings {
  private static final ThreadLocal<List<String>> CURRENT = new ThreadLocal<>();

  private Warnings() {}

  /** Starts collecting warnings for the request on the calling thread. */
  public static void begin() {
    CURRENT.set(new ArrayList<>(1));
  }

  /**
   * Adds a warning to the current request's, once; dropped outside a request.
   *
   * @param warning the text the client sees, in plain ASCII
   */
  public static void add(String warning) {
    List<String> list = CURRENT.get();
    if (list != null && !list.contains(warning)) {
      list.add(warning);
    }
  }

  /**
   * The warnings raised so far in this request; later ones are collected afresh.
   *
   * @return the warnings, in the order they were added; empty if none
   */
  public static List<String> take() {
    List<String> list = CURRENT.get();
    if (list == null || list.isEmpty()) {
      return List.of();
    }
    CURRENT.set(new ArrayList<>(1));
    return list;
  }

  /** Ends the request's collection. */
  public static void end() {
    CURRENT.remove();
  }
}
