package io.wharf.core.model;

import io.wharf.core.error.ErrorCode;
import java.util.regex.Pattern;

/** A tag: {@code [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}}. */
public record Tag(String value) implements Reference, Comparable<Tag> {
  private static final Pattern GRAMMAR = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");

  public Tag {
    if (value == null || !GRAMMAR.matcher(value).matches()) {
      throw ErrorCode.TAG_INVALID.exception(
          "invalid tag " + Strings.quote(value) + ": must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
    }
  }

  public static Tag of(String value) {
    return new Tag(value);
  }

  public static boolean isValid(String value) {
    return value != null && GRAMMAR.matcher(value).matches();
  }

  @Override
  public int compareTo(Tag o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
