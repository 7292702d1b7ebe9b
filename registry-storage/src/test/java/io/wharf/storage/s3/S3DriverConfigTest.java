package io.wharf.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class S3DriverConfigTest {

  @Test
  void builder_onlyBucket_defaultsToDefaultChainAndNoRedirect() {
    S3DriverConfig c = S3DriverConfig.builder("registry").build();

    assertThat(c.prefix()).isEmpty();
    assertThat(c.region()).isEqualTo("us-east-1");
    assertThat(c.hasStaticCredentials()).isFalse();
    assertThat(c.redirect()).isFalse();
    assertThat(c.encryption()).isEqualTo(S3DriverConfig.Encryption.NONE);
    assertThat(c.partSize()).isEqualTo(S3DriverConfig.DEFAULT_PART_SIZE);
    assertThat(c.multipartCopyThreshold()).isEqualTo(S3DriverConfig.MAX_COPY_SIZE);
  }

  @Test
  void builder_prefixWithSlashes_isTrimmed() {
    assertThat(S3DriverConfig.builder("b").prefix("/wharf/data/").build().prefix()).isEqualTo("wharf/data");
  }

  @Test
  void builder_invalidValues_throwNamingTheOption() {
    assertThatThrownBy(() -> S3DriverConfig.builder("b").partSize(1024 * 1024).build()).hasMessageContaining("partSize");
    assertThatThrownBy(() -> S3DriverConfig.builder("b").prefix("a/../b").build()).hasMessageContaining("prefix");
    assertThatThrownBy(() -> S3DriverConfig.builder("b").redirectExpiry(Duration.ofDays(8)).build())
        .hasMessageContaining("redirectExpiry");
    assertThatThrownBy(() -> S3DriverConfig.builder(" ").build()).hasMessageContaining("bucket");
    assertThatThrownBy(() -> S3DriverConfig.builder("b").multipartCopyThreshold(6L << 30).build())
        .hasMessageContaining("multipartCopyThreshold");
  }

  @Test
  void toString_staticCredentials_hidesSecret() {
    S3DriverConfig c = S3DriverConfig.builder("b").endpoint(URI.create("http://127.0.0.1:9000"))
        .credentials("AKIAEXAMPLE", "very-secret").sessionToken("token-secret").build();

    assertThat(c.toString()).contains("AKIAEXAMPLE").doesNotContain("very-secret").doesNotContain("token-secret");
  }
}
