package io.wharf.server.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReachTest {

  @Test
  void preferred_ownPortThenHostThenDefaultThenPath() {
    List<Reach> all = Reach.of("docker-hosted", "registry.lan:5000", true, 5001, true, List.of("Docker.LAN"), true);
    assertThat(all).extracting(Reach::prefix).containsExactly("registry.lan:5001", "docker.lan:5000",
        "registry.lan:5000", "registry.lan:5000/docker-hosted");
    assertThat(all.get(0).dockerLogin()).isEqualTo("docker login registry.lan:5001");
  }

  @Test
  void withoutOwnPortOrHost_thePath() {
    List<Reach> all = Reach.of("private", "[::1]:5000", false, null, false, List.of(), false);
    assertThat(all).extracting(Reach::prefix).containsExactly("[::1]:5000/private");
    assertThat(all.get(0).registry()).isEqualTo("[::1]:5000");
  }

  @Test
  void commands_byTagAndDigest_withPlainHttpFlags() {
    Reach tls = new Reach("r.lan", "r.lan/hub", "", true);
    Reach plain = new Reach("r.lan:5000", "r.lan:5000", "", false);
    String digest = "sha256:" + "ab".repeat(32);
    assertThat(tls.dockerPull("team/app", "1.0")).isEqualTo("docker pull r.lan/hub/team/app:1.0");
    assertThat(tls.dockerPull("team/app", digest)).isEqualTo("docker pull r.lan/hub/team/app@" + digest);
    assertThat(tls.podmanPull("team/app", "1.0")).isEqualTo("podman pull r.lan/hub/team/app:1.0");
    assertThat(plain.podmanPull("app", "1.0")).isEqualTo("podman pull --tls-verify=false r.lan:5000/app:1.0");
    assertThat(plain.skopeoCopy("team/app", digest))
        .isEqualTo("skopeo copy --src-tls-verify=false docker://r.lan:5000/team/app@" + digest + " dir:app-abababababab");
  }
}
