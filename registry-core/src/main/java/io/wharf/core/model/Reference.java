package io.wharf.core.model;

import io.wharf.core.error.ErrorCode;

/**
 * What follows {@code /manifests/} in a URL: a {@link Tag} or a {@link Digest}. Per the OCI
 * spec a reference that contains a colon is a digest, anything else is a tag.
 */
public sealed interface Reference permits Tag, Digest {

  /**
   * Parses a tag-or-digest.
   *
   * @param s what follows {@code /manifests/}
   * @return a {@link Digest} if {@code s} contains a colon, else a {@link Tag}
   * @throws io.wharf.core.error.RegistryException {@code DIGEST_INVALID} or {@code TAG_INVALID}
   *     (which the manifest endpoints report as {@code MANIFEST_UNKNOWN} or 400)
   */
  static Reference parse(String s) {
    if (s == null || s.isEmpty()) {
      throw ErrorCode.TAG_INVALID.exception("empty reference");
    }
    return s.indexOf(':') >= 0 ? Digest.parse(s) : Tag.of(s);
  }

  /** {@return the string form as it appears in a URL} */
  String value();
}
