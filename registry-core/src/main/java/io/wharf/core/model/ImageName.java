package io.wharf.core.model;

import io.wharf.core.error.ErrorCode;
import java.util.regex.Pattern;

/**
 * The OCI {@code <name>} of an image, e.g. {@code library/alpine} or {@code team/app}. The OCI
 * spec calls this a "repository"; in Wharf a repository is the hosted/proxy/group container, so
 * the image's name is an {@code ImageName}.
 *
 * <p>Grammar (anchored): {@code [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*}.
 * At most {@value #MAX_LENGTH} characters, so that {@code host:port/name} stays within what
 * clients accept. The grammar excludes {@code ..}, empty segments and upper case, which also makes
 * an {@code ImageName} safe to use as a storage path.
 *
 * @param value the name as written, e.g. {@code team/app}
 */
public record ImageName(String value) implements Comparable<ImageName> {
  /** The longest image name accepted, in characters. */
  public static final int MAX_LENGTH = 255;
  private static final Pattern GRAMMAR =
      Pattern.compile("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");

  /**
   * Checks the name against the grammar and the length limit.
   *
   * @param value the name as written
   * @throws io.wharf.core.error.RegistryException {@code NAME_INVALID} if it is empty, too long or
   *     malformed
   */
  public ImageName {
    if (value == null || value.isEmpty()) {
      throw ErrorCode.NAME_INVALID.exception("image name is empty");
    }
    if (value.length() > MAX_LENGTH) {
      throw ErrorCode.NAME_INVALID.exception(
          "image name is " + value.length() + " characters long; the limit is " + MAX_LENGTH);
    }
    if (!GRAMMAR.matcher(value).matches()) {
      throw ErrorCode.NAME_INVALID.exception(
          "invalid image name " + Strings.quote(value)
              + ": lower-case letters, digits and separators (. _ __ -) in /-separated components");
    }
  }

  /**
   * The image name {@code value}; as the constructor.
   *
   * @param value the name as written
   * @return the image name
   * @throws io.wharf.core.error.RegistryException {@code NAME_INVALID} if it is empty, too long or
   *     malformed
   */
  public static ImageName of(String value) {
    return new ImageName(value);
  }

  /**
   * {@return true if {@code value} is a valid image name (false for null)}
   *
   * @param value a candidate name
   */
  public static boolean isValid(String value) {
    return value != null && !value.isEmpty() && value.length() <= MAX_LENGTH && GRAMMAR.matcher(value).matches();
  }

  @Override
  public int compareTo(ImageName o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
