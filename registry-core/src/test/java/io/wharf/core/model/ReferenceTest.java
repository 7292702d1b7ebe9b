package io.wharf.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import org.junit.jupiter.api.Test;

/** A reference with a colon is a digest, anything else a tag. */
class ReferenceTest {
  private static final String DIGEST = "sha256:" + "ab".repeat(32);

  @Test
  void parse_withColon_digest() {
    assertThat(Reference.parse(DIGEST)).isEqualTo(Digest.parse(DIGEST));
  }

  @Test
  void parse_withoutColon_tag() {
    assertThat(Reference.parse("latest")).isEqualTo(Tag.of("latest"));
    assertThat(Reference.parse("latest").value()).isEqualTo("latest");
  }

  @Test
  void parse_invalidDigest_digestInvalid() {
    assertThatThrownBy(() -> Reference.parse("sha256:xyz"))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_INVALID));
  }

  @Test
  void parse_invalidTagOrEmpty_tagInvalid() {
    assertThatThrownBy(() -> Reference.parse("-bad"))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TAG_INVALID));
    assertThatThrownBy(() -> Reference.parse(""))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TAG_INVALID));
    assertThatThrownBy(() -> Reference.parse(null)).isInstanceOf(RegistryException.class);
  }
}
