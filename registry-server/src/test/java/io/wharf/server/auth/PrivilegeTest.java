package io.wharf.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PrivilegeTest {

  @Test
  void parse_repositoryAndAction() {
    assertThat(Privilege.parse("docker-hosted:write")).isEqualTo(new Privilege("docker-hosted", Action.WRITE));
    assertThat(Privilege.parse("*:read")).isEqualTo(new Privilege("*", Action.READ));
    assertThat(Privilege.parse("docker-gcr.io:*")).isEqualTo(new Privilege("docker-gcr.io", Action.ADMIN));
    assertThat(Privilege.parse("a:ADMIN").toString()).isEqualTo("a:admin");
  }

  @Test
  void parse_malformed_saysWhy() {
    assertThatThrownBy(() -> Privilege.parse("docker-hosted")).hasMessageContaining("<repository>:<action>");
    assertThatThrownBy(() -> Privilege.parse(":read")).hasMessageContaining("<repository>:<action>");
    assertThatThrownBy(() -> Privilege.parse("a:pull")).hasMessageContaining("unknown action \"pull\"");
  }

  @Test
  void grants_onItsRepositoryOrAny_andAdminImpliesEverything() {
    Privilege write = Privilege.parse("a:write");
    assertThat(write.grants("a", Action.WRITE)).isTrue();
    assertThat(write.grants("a", Action.READ)).isFalse();
    assertThat(write.grants("b", Action.WRITE)).isFalse();
    assertThat(Privilege.parse("*:read").grants("anything", Action.READ)).isTrue();
    assertThat(Privilege.parse("a:admin").grants("a", Action.DELETE)).isTrue();
    assertThat(Privilege.parse("a:admin").grants("b", Action.DELETE)).isFalse();
  }

  @Test
  void dockerActions_mapToPrivileges() {
    assertThat(Action.fromDocker("pull")).containsExactly(Action.READ);
    assertThat(Action.fromDocker("push")).containsExactly(Action.WRITE);
    assertThat(Action.fromDocker("*")).containsExactly(Action.READ, Action.WRITE, Action.DELETE);
    assertThat(Action.fromDocker("admin")).isEmpty();
  }
}
