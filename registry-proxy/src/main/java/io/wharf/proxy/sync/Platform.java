package io.wharf.proxy.sync;

import java.util.Locale;

/**
 * A platform to keep from an image index: {@code os/architecture} or {@code os/architecture/variant}
 * ({@code linux/amd64}, {@code linux/arm/v7}). Without a variant it matches every variant.
 */
public record Platform(String os, String architecture, String variant) {

  /** @throws IllegalArgumentException naming what is wrong with {@code s} */
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

  /** Whether an index entry's platform is this one; {@code variant} may be null on both sides. */
  public boolean matches(String os, String architecture, String entryVariant) {
    return this.os.equalsIgnoreCase(os == null ? "" : os)
        && this.architecture.equalsIgnoreCase(architecture == null ? "" : architecture)
        && (variant == null || variant.equalsIgnoreCase(entryVariant == null ? "" : entryVariant));
  }

  @Override
  public String toString() {
    return os + "/" + architecture + (variant == null ? "" : "/" + variant);
  }
}
