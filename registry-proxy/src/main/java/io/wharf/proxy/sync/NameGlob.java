package io.wharf.proxy.sync;

import java.util.regex.Pattern;

/**
 * An image name pattern: {@code *} matches within one path segment, {@code **} across segments,
 * {@code ?} one character other than {@code /}; anything else matches itself. Without any of
 * these it is a literal name, which needs no catalog at the source.
 */
public record NameGlob(String text, Pattern pattern) {

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

  public boolean isLiteral() {
    return text.indexOf('*') < 0 && text.indexOf('?') < 0;
  }

  public boolean matches(String name) {
    return pattern.matcher(name).matches();
  }
}
