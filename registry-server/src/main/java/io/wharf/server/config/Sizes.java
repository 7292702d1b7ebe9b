package io.wharf.server.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the config's sizes: {@code 512}, {@code 64KiB}, {@code 512MiB}, {@code 2GiB}, {@code 1TiB} (also KB/MB/GB = the same powers of 1024). */
final class Sizes {
  private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?");

  private Sizes() {}

  public static long parse(String value, String key) {
    Matcher m = value == null ? null : FORMAT.matcher(value.trim().toLowerCase(Locale.ROOT));
    if (m == null || !m.matches()) {
      throw new ConfigException(key + ": invalid size " + (value == null ? "null" : "\"" + value + "\"")
          + "; write a number with a unit: 512MiB, 2GiB");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "b" : m.group(2);
    int shift = switch (unit.charAt(0)) {
      case 'k' -> 10;
      case 'm' -> 20;
      case 'g' -> 30;
      case 't' -> 40;
      default -> 0;
    };
    if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
      throw new ConfigException(key + ": size " + value + " is too large");
    }
    return n << shift;
  }
}
