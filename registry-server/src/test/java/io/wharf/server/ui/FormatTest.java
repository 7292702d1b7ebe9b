package io.wharf.server.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FormatTest {
  static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");

  @Test
  void size_inIecUnits() {
    assertThat(Format.size(0)).isEqualTo("0 B");
    assertThat(Format.size(1023)).isEqualTo("1023 B");
    assertThat(Format.size(1536)).isEqualTo("1.5 KiB");
    assertThat(Format.size(190_000)).isEqualTo("186 KiB");
    assertThat(Format.size(5L * 1024 * 1024 * 1024)).isEqualTo("5.0 GiB");
  }

  @Test
  void relative_pastAndFuture() {
    assertThat(Format.relative(NOW.minusSeconds(10), NOW)).isEqualTo("just now");
    assertThat(Format.relative(NOW.minus(Duration.ofMinutes(3)), NOW)).isEqualTo("3 minutes ago");
    assertThat(Format.relative(NOW.minus(Duration.ofHours(1)), NOW)).isEqualTo("60 minutes ago");
    assertThat(Format.relative(NOW.minus(Duration.ofHours(5)), NOW)).isEqualTo("5 hours ago");
    assertThat(Format.relative(NOW.minus(Duration.ofDays(2)), NOW)).isEqualTo("2 days ago");
    assertThat(Format.relative(NOW.minus(Duration.ofDays(400)), NOW)).isEqualTo("13 months ago");
    assertThat(Format.relative(NOW.plus(Duration.ofMinutes(59)), NOW)).isEqualTo("in 59 minutes");
    assertThat(Format.exact(NOW.plusMillis(1234))).isEqualTo("2026-12-02 10:00:01 UTC");
  }

  @Test
  void shortDigest_likeDockerImageIds() {
    assertThat(Format.shortDigest("sha256:0123456789abcdef0123")).isEqualTo("sha256:0123456789ab");
    assertThat(Format.shortDigest("nodigest")).isEqualTo("nodigest");
  }
}
