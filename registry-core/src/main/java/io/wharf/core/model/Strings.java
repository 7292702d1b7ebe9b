package io.wharf.core.model;

/** Formatting helpers for messages that quote client input. */
final class Strings {
  private static final int MAX_QUOTED = 300;

  private Strings() {}

  /** Quotes untrusted input for an error message, shortened so a huge value cannot bloat it. */
  static String quote(String s) {
    if (s == null) {
      return "null";
    }
    String t = s.length() > MAX_QUOTED ? s.substring(0, MAX_QUOTED) + "..." : s;
    return '"' + t.replace("\"", "\\\"") + '"';
  }
}
