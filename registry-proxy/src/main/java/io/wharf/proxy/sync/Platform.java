package io.wharf.proxy.sync;

import java.util.Locale;

/**
 * A platform to keep from an image index: {@code os/architecture} or {@code os/architecture/variant}
 * ({@code linux/amd64}, {@code linux/arm/v7}). Without a variant it matches every variant.
 * Parts are compared ignoring case. An index entry without a {@code platform} matches no
 * platform, so with a platform filter it is left out.
 *
 * @param os the operating system, e.g. {@code linux}, in lower case
 * @param architecture the CPU architecture, e.g. {@code arm64}, in lower case
 * @param variant the CPU variant, e.g. {@code v7}, in lower case; null: any variant
 */
public record Platform(String os, String architecture, String variant) {

  /**
   * Reads a platform as the configuration writes it.
   *
   * @param s {@code os/architecture} or {@code os/architecture/variant}, e.g. {@code linux/arm/v7}
   * @return the platform, its parts in lower case
   * @throws IllegalArgumentException if {@code s} is null, has fewer than two or more than three
   *     parts, or a part that is empty or holds other than letters, digits, {@code _ . -}
   */
  public static Platform parse(String s) {
    String[] parts = s == null ? new String[0] : s.trim().split("/", -1);
    if (parts.length < 2 || parts.length > 3) {
      throw new IllegalArgumentException("\"" + s + "\" is no platform: write os/architecture[/variant], e.g. linux/amd64");
    }
    for (String p : parts) {
      if (p.isEmpty() || !p.matches("[A-Za-z0-9_.-]+")) {
        throw new IllegalArgumentException("\"" + s + "\" is no platform: write os/architecture[/variant], e.g. linux/amd64");
      }
    }
    return new Platform(parts[0].toLowerCase(Locale.ROOT), parts[1].toLowerCase(Locale.ROOT),
        parts.length == 3 ? parts[2].toLowerCase(Locale.ROOT) : null);
  }

  /**
   * Tests an index entry's platform against this one.
   *
   * @param os the entry's {@code os}, or null if it has none
   * @param architecture the entry's {@code architecture}, or null if it has none
   * @param entryVariant the entry's {@code variant}, or null if it has none
   * @return whether the entry is this platform: the same os and architecture, and the same variant
   *     unless this platform names none
   */
  public boolean matches(String os, String architecture, String entryVariant) {
    return this.os.equalsIgnoreCase(os == null ? "" : os)
        && this.architecture.equalsIgnoreCase(architecture == null ? "" : architecture)
        && (variant == null || variant.equalsIgnoreCase(entryVariant == null ? "" : entryVariant));
  }

  /**
   * The platform as the configuration writes it.
   *
   * @return {@code os/architecture} or {@code os/architecture/variant}
   */
  @Override
  public String toString() {
    return os + "/" + architecture + (variant == null ? "" : "/" + variant);
  }
}
