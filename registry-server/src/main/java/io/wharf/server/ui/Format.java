package io.wharf.server.ui;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/** How the UI writes numbers and times for people: sizes in IEC units, times relative to now. */
final class Format {
  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

  private Format() {}

  /** {@code 1536} → {@code 1.5 KiB}; below 1 KiB in bytes; one decimal under 10 units, none above. */
  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    double v = bytes;
    int unit = 0;
    while (v >= 1024 && unit < UNITS.length - 1) {
      v /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, v < 10 ? "%.1f %s" : "%.0f %s", v, UNITS[unit]);
  }

  private static final java.time.format.DateTimeFormatter EXACT =
      java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
          .withZone(java.time.ZoneOffset.UTC);

  /** {@code 2026-12-02 10:06:36 UTC}: to the second, in UTC like the server's logs. */
  static String exact(Instant t) {
    return EXACT.format(t);
  }

  /** {@code 3 minutes ago}, {@code in 2 hours}, {@code just now}. */
  static String relative(Instant then, Instant now) {
    Duration d = Duration.between(then, now);
    boolean future = d.isNegative();
    long s = Math.abs(d.getSeconds());
    String amount;
    if (s < 45) {
      return "just now";
    } else if (s < 90 * 60) {
      amount = plural(Math.max(1, Math.round(s / 60.0)), "minute");
    } else if (s < 36 * 3600) {
      amount = plural(Math.round(s / 3600.0), "hour");
    } else if (s < 45L * 86400) {
      amount = plural(Math.round(s / 86400.0), "day");
    } else if (s < 545L * 86400) {
      amount = plural(Math.round(s / (30.0 * 86400)), "month");
    } else {
      amount = plural(Math.round(s / (365.0 * 86400)), "year");
    }
    return future ? "in " + amount : amount + " ago";
  }

  private static String plural(long n, String unit) {
    return n + " " + unit + (n == 1 ? "" : "s");
  }

  /** {@code 30 days}, {@code 12 hours}, {@code 90 minutes}: a duration in its largest whole unit. */
  static String duration(java.time.Duration d) {
    long s = d.getSeconds();
    if (s == 0) {
      return "never";
    }
    return s % 86_400 == 0 ? plural(s / 86_400, "day") : s % 3600 == 0 ? plural(s / 3600, "hour")
        : s % 60 == 0 ? plural(s / 60, "minute") : plural(s, "second");
  }

  /** The first 12 hex digits of a digest ({@code sha256:0123456789ab}), as docker shows image ids. */
  static String shortDigest(String digest) {
    int colon = digest.indexOf(':');
    return colon < 0 || digest.length() <= colon + 13 ? digest : digest.substring(0, colon + 13);
  }
}
