package io.wharf.core.quota;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How much a hosted repository may store: a {@code hard} limit that refuses pushes which would
 * take it over, a {@code soft} limit over which pushes still succeed but carry a warning. Either
 * may be {@link #NONE}, not both. Usage is the sum of the sizes of the distinct blobs (layers,
 * configs, manifests) linked into the repository's images; see {@link RepositoryUsage}.
 *
 * @param hardBytes pushes that would take usage over this many bytes are refused, or {@link #NONE}
 * @param softBytes pushes that leave usage over this many bytes get a warning, or {@link #NONE}
 * @param rescanAfter how long a scanned usage is trusted before the repository's storage is
 *     scanned again (to see deletes, garbage collection and other nodes' pushes)
 */
public record Quota(long hardBytes, long softBytes, Duration rescanAfter) {
  /** No limit of this kind. */
  public static final long NONE = -1;
  /** Default of {@link #rescanAfter}. */
  public static final Duration DEFAULT_RESCAN_AFTER = Duration.ofMinutes(5);

  /**
   * Checks the limits.
   *
   * @param hardBytes the hard limit in bytes, or {@link #NONE}
   * @param softBytes the soft limit in bytes, or {@link #NONE}
   * @param rescanAfter how long a scanned usage is trusted
   * @throws IllegalArgumentException if both limits are {@link #NONE}, a limit is below {@link
   *     #NONE}, the soft limit is above the hard one, or {@code rescanAfter} is negative
   * @throws NullPointerException if {@code rescanAfter} is null
   */
  public Quota {
    if (hardBytes < NONE || softBytes < NONE) {
      throw new IllegalArgumentException("quota limits must be sizes >= 0 (or NONE): hard " + hardBytes + ", soft " + softBytes);
    }
    if (hardBytes == NONE && softBytes == NONE) {
      throw new IllegalArgumentException("a quota needs a hard or a soft limit");
    }
    if (hardBytes != NONE && softBytes != NONE && softBytes > hardBytes) {
      throw new IllegalArgumentException("soft quota " + format(softBytes) + " is above the hard quota " + format(hardBytes));
    }
    Objects.requireNonNull(rescanAfter, "rescanAfter");
    if (rescanAfter.isNegative()) {
      throw new IllegalArgumentException("rescanAfter must not be negative: " + rescanAfter);
    }
  }

  /**
   * A quota that rescans after {@link #DEFAULT_RESCAN_AFTER}.
   *
   * @param hardBytes the hard limit in bytes, or {@link #NONE}
   * @param softBytes the soft limit in bytes, or {@link #NONE}
   * @throws IllegalArgumentException as the canonical constructor
   */
  public Quota(long hardBytes, long softBytes) {
    this(hardBytes, softBytes, DEFAULT_RESCAN_AFTER);
  }

  /**
   * A quota from optional limits, as a config file gives them ({@code null}: no such limit).
   *
   * @param hardBytes the hard limit in bytes, or null
   * @param softBytes the soft limit in bytes, or null
   * @return the quota
   * @throws IllegalArgumentException if both are null, or as the canonical constructor
   */
  public static Quota of(Long hardBytes, Long softBytes) {
    return new Quota(hardBytes == null ? NONE : hardBytes, softBytes == null ? NONE : softBytes);
  }

  /**
   * {@return a quota with only a hard limit}
   *
   * @param bytes the hard limit in bytes
   */
  public static Quota hard(long bytes) {
    return new Quota(bytes, NONE);
  }

  /**
   * {@return a quota with only a soft limit}
   *
   * @param bytes the soft limit in bytes
   */
  public static Quota soft(long bytes) {
    return new Quota(NONE, bytes);
  }

  /**
   * {@return this quota, rescanning after {@code rescanAfter}}
   *
   * @param rescanAfter how long a scanned usage is trusted
   */
  public Quota withRescanAfter(Duration rescanAfter) {
    return new Quota(hardBytes, softBytes, rescanAfter);
  }

  /** {@return true if there is a hard limit} */
  public boolean hasHard() {
    return hardBytes != NONE;
  }

  /** {@return true if there is a soft limit} */
  public boolean hasSoft() {
    return softBytes != NONE;
  }

  /**
   * A byte count for people, rounded down: {@code 512 B}, {@code 9.5 MiB}, {@code 10 GiB}.
   *
   * @param bytes a byte count, 0 or more
   * @return the count for people
   */
  public static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    // rounded down: "uses 9.9 MiB of its 10 MiB limit", never "uses 10 MiB" when below it
    String s = String.format(Locale.ROOT, "%.1f", Math.floor(v * 10) / 10);
    return (s.endsWith(".0") ? s.substring(0, s.length() - 2) : s) + " " + units[u];
  }

  @Override
  public String toString() {
    return "quota(hard " + (hasHard() ? format(hardBytes) : "none") + ", soft " + (hasSoft() ? format(softBytes) : "none") + ")";
  }
}
