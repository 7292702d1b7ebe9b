package io.wharf.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}}. */
class TagTest {

  static Stream<String> valid() {
    return Stream.of("latest", "v1", "1.0.0", "A", "_", "_x", "0", "TEST0", "a-b_c.d", "a..b", "a--", "x".repeat(128),
        "sha256-" + "a".repeat(64)); // the referrers fallback tag schema
  }

  static Stream<String> invalid() {
    return Stream.of("", "-bad", ".bad", ".INVALID_MANIFEST_NAME", "a/b", "a:b", "a+b", "a b", "a@b", "é",
        "x".repeat(129));
  }

  @ParameterizedTest
  @MethodSource("valid")
  void of_valid_accepted(String tag) {
    assertThat(Tag.of(tag).value()).isEqualTo(tag);
    assertThat(Tag.isValid(tag)).isTrue();
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void of_invalid_tagInvalid(String tag) {
    assertThat(Tag.isValid(tag)).isFalse();
    assertThatThrownBy(() -> Tag.of(tag))
        .isInstanceOfSatisfying(RegistryException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.TAG_INVALID);
          assertThat(e.code().httpStatus()).isEqualTo(400);
        });
  }

  @Test
  void of_null_tagInvalid() {
    assertThat(Tag.isValid(null)).isFalse();
    assertThatThrownBy(() -> Tag.of(null)).isInstanceOf(RegistryException.class);
  }

  @Test
  void compareTo_asciibetical() {
    assertThat(Tag.of("TEST0")).isLessThan(Tag.of("test0"));
    assertThat(Tag.of("v1")).isLessThan(Tag.of("v2"));
  }
}
