package io.wharf.core.model;

import io.wharf.core.error.ErrorCode;
import java.util.regex.Pattern;

/**
 * A tag: {@code [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}}.
 *
 * @param value the tag as written
 */
public record Tag(String value) implements Reference, Comparable<Tag> {
  private static final Pattern GRAMMAR = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");

  /**
   * Checks the tag against the grammar.
   *
   * @param value the tag as written
   * @throws io.wharf.core.error.RegistryException {@code TAG_INVALID} if it does not match
   */
  public Tag {
    if (value == null || !GRAMMAR.matcher(value).matches()) {
      throw ErrorCode.TAG_INVALID.exception(
          "invalid tag " + Strings.quote(value) + ": must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
    }
  }

  /**
   * The tag {@code value}; as the constructor.
   *
   * @param value the tag as written
   * @return the tag
   * @throws io.wharf.core.error.RegistryException {@code TAG_INVALID} if it does not match the
   *     grammar
   */
  public static Tag of(String value) {
    return new Tag(value);
  }

  /**
   * {@return true if {@code value} is a valid tag (false for null)}
   *
   * @param value a candidate tag
   */
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
