package io.wharf.server.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.server.config.ConfigException;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.WharfConfig;
import org.junit.jupiter.api.Test;

/** {@code management.ui:}: on at /ui by default, and a path that would hide the registry refused with the key named. */
class UiConfigTest {

  @Test
  void absent_onAtSlashUi() {
    WharfConfig c = ConfigLoader.parse("", "w.yaml");
    assertThat(c.management().ui().enabled()).isTrue();
    assertThat(c.management().ui().path()).isEqualTo("/ui");
  }

  @Test
  void set_isKept() {
    WharfConfig c = ConfigLoader.parse("management: {ui: {enabled: false, path: /console}}\n", "w.yaml");
    assertThat(c.management().ui().enabled()).isFalse();
    assertThat(c.management().ui().path()).isEqualTo("/console");
  }

  @Test
  void registryOrApiPath_refused() {
    for (String path : new String[] {"/v2", "/v2/ui", "/repository/docker-hosted", "/service/rest", "/wharf",
        "/health"}) {
      assertThatThrownBy(() -> ConfigLoader.parse("management: {ui: {path: " + path + "}}\n", "w.yaml"))
          .as(path).isInstanceOf(ConfigException.class).hasMessageContaining("management.ui.path")
          .hasMessageContaining("reserved");
    }
  }

  @Test
  void malformedPath_refused() {
    for (String path : new String[] {"/", "ui", "/ui/", "/u i", "/ui/../v2"}) {
      assertThatThrownBy(() -> ConfigLoader.parse("management: {ui: {path: \"" + path + "\"}}\n", "w.yaml"))
          .as(path).isInstanceOf(ConfigException.class).hasMessageContaining("management.ui.path");
    }
  }

  @Test
  void overlappingMetrics_refused() {
    assertThatThrownBy(() -> ConfigLoader.parse("management: {metrics: {path: /ui}}\n", "w.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("management.ui.path").hasMessageContaining("overlap");
    assertThatThrownBy(() -> ConfigLoader.parse("management: {ui: {path: /metrics}}\n", "w.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("overlap");
    // off: no clash
    ConfigLoader.parse("management: {metrics: {path: /ui}, ui: {enabled: false}}\n", "w.yaml");
  }
}
