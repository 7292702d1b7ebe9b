package io.wharf.proxy.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The tag filters' small languages: semver ranges, name globs, platforms. */
class SemverRangeTest {
  static final List<String> TAGS = List.of("0.3.1", "0.4.0", "1.0", "v1.2.0", "1.2.7", "1.3.0-rc.1", "1.3.0", "1.10.0",
      "2", "2.1.0", "3.18", "latest", "1.2.3.4", "01.2.3");

  static List<String> admitted(String range) {
    SemverRange r = SemverRange.parse(range);
    return TAGS.stream().filter(r::admits).toList();
  }

  @Test
  void comparators_allHold_andSpacesAfterOperatorsAreAllowed() {
    assertThat(admitted(">=1.2 <2")).containsExactly("v1.2.0", "1.2.7", "1.3.0-rc.1", "1.3.0", "1.10.0");
    assertThat(admitted(">= 1.2 < 1.3")).containsExactly("v1.2.0", "1.2.7");
  }

  @Test
  void tildeCaretAndPartialVersions() {
    assertThat(admitted("~1.2")).containsExactly("v1.2.0", "1.2.7");
    assertThat(admitted("^2")).containsExactly("2", "2.1.0");
    assertThat(admitted("^0.3")).containsExactly("0.3.1");
    assertThat(admitted("1.2")).containsExactly("v1.2.0", "1.2.7");
    assertThat(admitted("=1.3.0")).containsExactly("1.3.0");
    assertThat(admitted(">1.2")).containsExactly("1.3.0", "1.10.0", "2", "2.1.0", "3.18");
    // a partial upper bound leaves out the next version's pre-releases too, as npm reads it
    assertThat(admitted("<1.3")).doesNotContain("1.3.0-rc.1");
    assertThat(admitted("<=1.2")).containsExactly("0.3.1", "0.4.0", "1.0", "v1.2.0", "1.2.7");
  }

  @Test
  void alternatives() {
    assertThat(admitted("~0.3 || >=3")).containsExactly("0.3.1", "3.18");
  }

  @Test
  void preReleases_orderBeforeTheirRelease() {
    assertThat(admitted(">=1.3.0-rc.1 <1.3.0")).containsExactly("1.3.0-rc.1");
    assertThat(SemverRange.Version.parse("1.0.0-alpha.2").orElseThrow())
        .isLessThan(SemverRange.Version.parse("1.0.0-alpha.10").orElseThrow())
        .isLessThan(SemverRange.Version.parse("1.0.0-beta").orElseThrow());
  }

  @Test
  void tagsThatAreNoVersion_neverMatch() {
    assertThat(admitted(">=0")).doesNotContain("latest", "1.2.3.4", "01.2.3");
  }

  @Test
  void badRanges_sayWhatIsWrong() {
    assertThatThrownBy(() -> SemverRange.parse(">=one")).hasMessageContaining("\"one\"").hasMessageContaining("no version");
    assertThatThrownBy(() -> SemverRange.parse("1 ||")).hasMessageContaining("empty alternative");
    assertThatThrownBy(() -> SemverRange.parse(" ")).hasMessageContaining("empty");
  }

  @Test
  void nameGlobs() {
    assertThat(NameGlob.of("team/*").matches("team/app")).isTrue();
    assertThat(NameGlob.of("team/*").matches("team/a/b")).isFalse();
    assertThat(NameGlob.of("team/**").matches("team/a/b")).isTrue();
    assertThat(NameGlob.of("team/ap?").matches("team/app")).isTrue();
    assertThat(NameGlob.of("a.b/c").matches("axb/c")).isFalse(); // '.' is literal
    assertThat(NameGlob.of("library/alpine").isLiteral()).isTrue();
  }

  @Test
  void platforms() {
    assertThat(Platform.parse("linux/arm64").matches("linux", "arm64", "v8")).isTrue();
    assertThat(Platform.parse("linux/arm/v7").matches("linux", "arm", "v6")).isFalse();
    assertThat(Platform.parse("Linux/AMD64")).hasToString("linux/amd64");
    assertThatThrownBy(() -> Platform.parse("linux")).hasMessageContaining("os/architecture");
  }
}
