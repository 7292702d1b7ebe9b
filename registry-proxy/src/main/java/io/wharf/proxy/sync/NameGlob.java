package io.wharf.proxy.sync;

import java.util.regex.Pattern;

/**
 * An image name pattern: {@code *} matches within one path segment, {@code **} across segments,
 * {@code ?} one character other than {@code /}; anything else matches itself. Without any of
 * these it is a literal name, which needs no catalog at the source. Made by {@link #of}; a pattern
 * matches a name as a whole ({@code team/*} matches {@code team/app}, not {@code team/app/web} or
 * {@code team}).
 *
 * @param text the pattern as written, e.g. {@code team/**}
 * @param pattern the regex {@code text} translates to
 */
public record NameGlob(String text, Pattern pattern) {

  /**
   * Reads a name pattern.
   *
   * @param text an image name, or a pattern with {@code *}, {@code **} or {@code ?}
   * @return the pattern
   * @throws IllegalArgumentException if {@code text} is null or blank
   */
  public static NameGlob of(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("an empty name pattern");
    }
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '*' && i + 1 < text.length() && text.charAt(i + 1) == '*') {
        re.append(".*");
        i++;
      } else if (c == '*') {
        re.append("[^/]*");
      } else if (c == '?') {
        re.append("[^/]");
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return new NameGlob(text, Pattern.compile(re.toString()));
  }

  /**
   * Tells whether the pattern is a plain name, which is copied without asking the source's
   * catalog.
   *
   * @return whether {@code text} has no {@code *} and no {@code ?}
   */
  public boolean isLiteral() {
    return text.indexOf('*') < 0 && text.indexOf('?') < 0;
  }

  /**
   * Tests a name from the source's catalog.
   *
   * @param name an image name, e.g. {@code team/app}
   * @return whether the pattern matches the whole name
   */
  public boolean matches(String name) {
    return pattern.matcher(name).matches();
  }
}
