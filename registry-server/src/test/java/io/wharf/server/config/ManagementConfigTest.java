package io.wharf.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The {@code management:} section: defaults, and every mistake refused with the key named. */
class ManagementConfigTest {

  @Test
  void absent_metricsOnAtSlashMetrics() {
    WharfConfig c = ConfigLoader.parse("", "w.yaml");
    assertThat(c.management().metrics().enabled()).isTrue();
    assertThat(c.management().metrics().path()).isEqualTo("/metrics");
  }

  @Test
  void set_isKept() {
    WharfConfig c = ConfigLoader.parse("management: {metrics: {enabled: false, path: /internal/metrics}}\n", "w.yaml");
    assertThat(c.management().metrics().enabled()).isFalse();
    assertThat(c.management().metrics().path()).isEqualTo("/internal/metrics");
  }

  @Test
  void unknownKey_namesIt() {
    assertThatThrownBy(() -> ConfigLoader.parse("management: {metrics: {enable: true}}\n", "w.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown key \"enable\"").hasMessageContaining("management.metrics")
        .hasMessageContaining("enabled");
    assertThatThrownBy(() -> ConfigLoader.parse("management: {port: 9090}\n", "w.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("unknown key \"port\"");
  }

  @Test
  void badPath_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.parse("management: {metrics: {path: metrics}}\n", "w.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("management.metrics.path");
    assertThatThrownBy(() -> ConfigLoader.parse("management: {metrics: {path: /metrics/}}\n", "w.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("management.metrics.path");
  }

  @Test
  void reservedPath_isRefused() {
    for (String path : new String[] {"/v2", "/v2/metrics", "/service/rest/metrics", "/health", "/repository/x"}) {
      assertThatThrownBy(() -> ConfigLoader.parse("management: {metrics: {path: " + path + "}}\n", "w.yaml"))
          .as(path).isInstanceOf(ConfigException.class).hasMessageContaining("management.metrics.path")
          .hasMessageContaining("reserved");
    }
  }
}
