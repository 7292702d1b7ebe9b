package io.wharf.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The OCI {@code <name>} grammar, anchored, with the 255-character limit. */
class ImageNameTest {

  static Stream<String> valid() {
    return Stream.of(
        "a",
        "0",
        "alpine",
        "library/alpine",
        "team/app/tools",
        "a.b",
        "a_b",
        "a__b",
        "a-b",
        "a--b",
        "a---b",
        "a.b-c_d__e",
        "x1/y2/z3",
        "registry.example.com/team/app", // looks like a host: still a valid name
        "a".repeat(255),
        ("abc/").repeat(63) + "abc"); // 255 characters in segments
  }

  static Stream<String> invalid() {
    return Stream.of(
        "",
        "A",
        "Alpine",
        "library/Alpine",
        "..",
        ".",
        "a/../b",
        "a/./b",
        "a..b",
        ".a",
        "a.",
        "-a",
        "a-",
        "_a",
        "a_",
        "a___b",
        "a_.b",
        "a.-b",
        "/a",
        "a/",
        "a//b",
        "a b",
        "a:b",
        "a@b",
        "a;b",
        "a\\b",
        "a/\u00e9",
        "a\n",
        "a".repeat(256),
        ("abc/").repeat(63) + "abcd"); // 256 characters in segments
  }

  @ParameterizedTest
  @MethodSource("valid")
  void of_valid_accepted(String name) {
    assertThat(ImageName.of(name).value()).isEqualTo(name);
    assertThat(ImageName.isValid(name)).isTrue();
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void of_invalid_nameInvalid(String name) {
    assertThat(ImageName.isValid(name)).isFalse();
    assertThatThrownBy(() -> ImageName.of(name))
        .isInstanceOfSatisfying(RegistryException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.NAME_INVALID);
          assertThat(e.code().httpStatus()).isEqualTo(400);
        });
  }

  @Test
  void of_null_nameInvalid() {
    assertThat(ImageName.isValid(null)).isFalse();
    assertThatThrownBy(() -> ImageName.of(null)).isInstanceOf(RegistryException.class);
  }

  @Test
  void of_256Characters_messageStatesLimit() {
    assertThatThrownBy(() -> ImageName.of("a".repeat(256))).hasMessageContaining("255");
  }

  @Test
  void compareTo_stringOrder() {
    assertThat(ImageName.of("a/b")).isLessThan(ImageName.of("a/c"));
    assertThat(ImageName.of("team-b")).isLessThan(ImageName.of("team/a")); // '-' < '/'
    assertThat(ImageName.of("x")).hasToString("x");
  }
}
