package io.wharf.proxy.sync;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A semantic version range in npm style, for tag filters: comparators separated by spaces all
 * hold ({@code >=1.2 <2}), alternatives are separated by {@code ||}; {@code ~1.4} is
 * {@code >=1.4.0 <1.5.0}, {@code ^2.1} is {@code >=2.1.0 <3.0.0} ({@code ^0.3} is
 * {@code >=0.3.0 <0.4.0}), and a bare or {@code =} version with parts missing is a range over them
 * ({@code 1.2} is {@code >=1.2.0 <1.3.0}). Versions may start with {@code v}, may lack minor and
 * patch ({@code 3.18} is {@code 3.18.0}, as tags often are) and order by semver 2.0 (a
 * pre-release before its release). An upper bound from a partial version or an operator
 * ({@code <2}, {@code ~1.4}, {@code ^2}, {@code 1.2}) also leaves out the pre-releases of the
 * version it stops at, as npm reads it; otherwise pre-releases are matched like any version.
 *
 * <p>Use: {@code SemverRange.parse(">=3.18 <4").admits("3.19.1")} is true, {@code admits("latest")}
 * false. Instances are immutable and thread-safe.
 */
public final class SemverRange {
  private static final Pattern VERSION = Pattern.compile(
      "v?(0|[1-9]\\d*)(?:\\.(0|[1-9]\\d*))?(?:\\.(0|[1-9]\\d*))?(?:-([0-9A-Za-z.-]+))?(?:\\+[0-9A-Za-z.-]+)?");
  private static final Pattern COMPARATOR = Pattern.compile("(>=|<=|>|<|=|~|\\^)?(.+)");

  /**
   * A version as a tag names it, ordered as semver 2.0 orders versions (build metadata after
   * {@code +} is ignored).
   *
   * @param major the major version
   * @param minor the minor version, 0 if the tag has none
   * @param patch the patch version, 0 if the tag has none
   * @param pre the pre-release identifiers (from {@code -rc.1}: {@code rc} and {@code 1}); empty
   *     for a release
   */
  public record Version(long major, long minor, long patch, List<String> pre) implements Comparable<Version> {
    /**
     * Reads a tag as a version: {@code 1.2.3}, {@code v1.2}, {@code 3}, {@code 1.0.0-rc.1+build}.
     *
     * @param tag the tag
     * @return the version it names, or empty if it is none (e.g. {@code latest}); note that
     *     {@code 3.18-alpine} is one, {@code 3.18.0} with the pre-release {@code alpine}
     */
    public static Optional<Version> parse(String tag) {
      Matcher m = VERSION.matcher(tag);
      if (!m.matches()) {
        return Optional.empty();
      }
      return Optional.of(new Version(Long.parseLong(m.group(1)), m.group(2) == null ? 0 : Long.parseLong(m.group(2)),
          m.group(3) == null ? 0 : Long.parseLong(m.group(3)), m.group(4) == null ? List.of() : List.of(m.group(4).split("\\."))));
    }

    /**
     * Orders by major, minor and patch, then a pre-release before its release, pre-releases by
     * their identifiers (numeric ones numerically and before alphanumeric ones).
     *
     * @param o the version to compare with
     * @return negative, zero or positive as this version is lower than, equal to or higher than
     *     {@code o}
     */
    @Override
    public int compareTo(Version o) {
      int c = Long.compare(major, o.major);
      c = c != 0 ? c : Long.compare(minor, o.minor);
      c = c != 0 ? c : Long.compare(patch, o.patch);
      if (c != 0) {
        return c;
      }
      if (pre.isEmpty() || o.pre.isEmpty()) {
        return Boolean.compare(pre.isEmpty(), o.pre.isEmpty()); // a release after its pre-releases
      }
      for (int i = 0; i < Math.min(pre.size(), o.pre.size()); i++) {
        String a = pre.get(i);
        String b = o.pre.get(i);
        boolean an = a.chars().allMatch(Character::isDigit);
        boolean bn = b.chars().allMatch(Character::isDigit);
        int x = an && bn ? Long.compare(Long.parseLong(a), Long.parseLong(b)) : an ? -1 : bn ? 1 : a.compareTo(b);
        if (x != 0) {
          return x;
        }
      }
      return Integer.compare(pre.size(), o.pre.size());
    }
  }

  private record Bound(Version version, boolean lower, boolean inclusive) {
    boolean admits(Version v) {
      int c = v.compareTo(version);
      return lower ? (inclusive ? c >= 0 : c > 0) : (inclusive ? c <= 0 : c < 0);
    }
  }

  private final String text;
  private final List<List<Bound>> alternatives;

  private SemverRange(String text, List<List<Bound>> alternatives) {
    this.text = text;
    this.alternatives = alternatives;
  }

  /**
   * Reads a range, e.g. {@code >=1.2 <2}, {@code ~1.4 || ^2}, {@code 1.2}.
   *
   * @param text the range as written in the configuration
   * @return the range
   * @throws IllegalArgumentException if {@code text} is empty or has an empty alternative, or
   *     saying which comparator or version of it is not understood
   */
  public static SemverRange parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("an empty semver range");
    }
    List<List<Bound>> alternatives = new ArrayList<>();
    for (String alternative : text.split("\\|\\|", -1)) {
      List<Bound> bounds = new ArrayList<>();
      // ">= 1.2" is ">=1.2": operators bind to the version after them, then spaces separate comparators
      String joined = alternative.trim().replaceAll("(>=|<=|>|<|=|~|\\^)\\s+", "$1");
      for (String comparator : joined.isEmpty() ? new String[0] : joined.split("\\s+")) {
        Matcher m = COMPARATOR.matcher(comparator);
        if (!m.matches()) {
          throw new IllegalArgumentException("\"" + comparator + "\" in the semver range \"" + text + "\" is no comparator");
        }
        bounds.addAll(bounds(m.group(1) == null ? "=" : m.group(1), m.group(2), text));
      }
      if (bounds.isEmpty()) {
        throw new IllegalArgumentException("\"" + text + "\" has an empty alternative");
      }
      alternatives.add(bounds);
    }
    return new SemverRange(text, alternatives);
  }

  private static List<Bound> bounds(String op, String v, String text) {
    Matcher m = VERSION.matcher(v);
    if (!m.matches()) {
      throw new IllegalArgumentException("\"" + v + "\" in the semver range \"" + text
          + "\" is no version (write e.g. >=1.2 <2, ~1.4, ^2)");
    }
    Version version = Version.parse(v).orElseThrow();
    int given = m.group(3) != null ? 3 : m.group(2) != null ? 2 : 1; // how many of major.minor.patch were written
    Version next = switch (given) { // the first release past what was written
      case 1 -> new Version(version.major() + 1, 0, 0, List.of());
      case 2 -> new Version(version.major(), version.minor() + 1, 0, List.of());
      default -> new Version(version.major(), version.minor(), version.patch() + 1, List.of());
    };
    Version caret = version.major() > 0 || given == 1 ? new Version(version.major() + 1, 0, 0, List.of())
        : version.minor() > 0 || given == 2 ? new Version(0, version.minor() + 1, 0, List.of())
        : new Version(0, 0, version.patch() + 1, List.of());
    Version tilde = given == 1 ? new Version(version.major() + 1, 0, 0, List.of())
        : new Version(version.major(), version.minor() + 1, 0, List.of());
    boolean exact = given == 3 || !version.pre().isEmpty();
    return switch (op) {
      case ">=" -> List.of(new Bound(version, true, true));
      case ">" -> List.of(exact ? new Bound(version, true, false) : new Bound(next, true, true));
      case "<=" -> List.of(exact ? new Bound(version, false, true) : below(next));
      case "<" -> List.of(exact ? new Bound(version, false, false) : below(version));
      case "~" -> List.of(new Bound(version, true, true), below(tilde));
      case "^" -> List.of(new Bound(version, true, true), below(caret));
      default -> exact ? List.of(new Bound(version, true, true), new Bound(version, false, true))
          : List.of(new Bound(version, true, true), below(next));
    };
  }

  /**
   * An upper bound made from a partial version or an operator ({@code <2}, {@code ~1.4}): below
   * the release and its pre-releases too, as npm reads it, so {@code <2} does not admit
   * {@code 2.0.0-rc.1}.
   */
  private static Bound below(Version v) {
    return new Bound(new Version(v.major(), v.minor(), v.patch(), List.of("0")), false, false);
  }

  /**
   * Tests a tag against the range.
   *
   * @param tag the tag, e.g. {@code v3.18.2}
   * @return whether {@code tag} is a version in this range; a tag that is no version never is
   */
  public boolean admits(String tag) {
    Optional<Version> v = Version.parse(tag);
    return v.isPresent() && alternatives.stream().anyMatch(all -> all.stream().allMatch(b -> b.admits(v.get())));
  }

  /**
   * The range as it was written.
   *
   * @return the text given to {@link #parse}
   */
  @Override
  public String toString() {
    return text;
  }
}
