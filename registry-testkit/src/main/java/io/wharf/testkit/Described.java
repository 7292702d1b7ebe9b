package io.wharf.testkit;

import io.wharf.core.model.Digest;

/**
 * What the kit says about any piece of content, whether a fixture built it ({@link
 * TestImage.Content}, {@link TestImage.Layer}) or it was read back from a registry ({@link
 * StoredManifest}, {@link OciDescriptor}): the same three accessors everywhere, so an assertion
 * can compare a fixture with what arrived without converting one into the other.
 *
 * <pre>
 * assertThat(registry.manifest("team/app:1.0").orElseThrow().layers())
 *     .extracting(Described::digest)
 *     .containsExactlyElementsOf(image.image().layers().stream().map(Described::digest).toList());
 * </pre>
 */
public interface Described {
  /** {@return the media type, without parameters} */
  String mediaType();

  /** {@return the digest of the bytes} */
  Digest digest();

  /** {@return the number of bytes} */
  long size();
}
