package io.wharf.server.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the config's durations: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 6h}, {@code 7d}. */
public final class Durations {
  private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

  private Durations() {}

  /**
   * Parses a duration: a whole number and one of the units {@code ms s m h d}.
   *
   * @param value the duration as written
   * @param key the config key, for the error message
   * @return the duration
   * @throws ConfigException if {@code value} is null or has no such form
   */
  public static Duration parse(String value, String key) {
    Matcher m = value == null ? null : FORMAT.matcher(value.trim());
    if (m == null || !m.matches()) {
      throw new ConfigException(key + ": invalid duration " + (value == null ? "null" : "\"" + value + "\"")
          + "; write a number with a unit: 500ms, 30s, 5m, 6h, 7d");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }
}
