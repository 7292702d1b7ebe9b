package io.wharf.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtpasswdTest {
  /** "secret" as made by {@code htpasswd -nbB -C 4 ci secret} (apache2-utils). */
  static final String KNOWN = "$2y$04$4K0FGkXq/DvpDS/ur6eGt.bIXx3tFQLqjLfNmEKeOvo8FAgMABz1i";

  @Test
  void parse_bcryptLines_skipsCommentsAndBlanks() {
    Map<String, String> users = Htpasswd.parse(List.of("# users", "", "ci:" + KNOWN, "  ops:" + KNOWN + "  "), "f");
    assertThat(users).containsOnlyKeys("ci", "ops");
    assertThat(PasswordHashes.verify("secret".toCharArray(), users.get("ci"))).isTrue();
  }

  @Test
  void parse_nonBcryptHash_isRefusedNamingTheLine() {
    assertThatThrownBy(() -> Htpasswd.parse(List.of("ci:" + KNOWN, "old:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/"), "users"))
        .hasMessageContaining("users line 2").hasMessageContaining("\"old\"").hasMessageContaining("htpasswd -B");
    assertThatThrownBy(() -> Htpasswd.parse(List.of("nocolon"), "users")).hasMessageContaining("line 1: expected name:hash");
    assertThatThrownBy(() -> Htpasswd.parse(List.of("a:" + KNOWN, "a:" + KNOWN), "users")).hasMessageContaining("twice");
  }

  @Test
  void users_areReReadWhenTheFileChanges(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("users");
    Files.writeString(file, "ci:" + KNOWN + "\n");
    Htpasswd h = Htpasswd.read(file);
    assertThat(h.users()).containsOnlyKeys("ci");

    Files.writeString(file, "ci:" + KNOWN + "\nnew:" + KNOWN + "\n");
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
    Thread.sleep(1100); // looked at once a second at most

    assertThat(h.users()).containsOnlyKeys("ci", "new");
  }

  @Test
  void userDirectory_htpasswdUsersGetTheirRoles_configWins(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("users");
    Files.writeString(file, "ci:" + KNOWN + "\nplain:" + KNOWN + "\n");
    UserDirectory users = new UserDirectory(
        List.of(new UserDirectory.Entry("ci", null, List.of("pusher")),
            new UserDirectory.Entry("local", PasswordHashes.hash("local-pw".toCharArray(), 4), List.of())),
        Map.of("pusher", Set.of(Privilege.parse("a:write")), "reader", Set.of(Privilege.parse("a:read"))),
        List.of(Htpasswd.read(file)), List.of("reader"));

    assertThat(users.authenticate("ci", "secret".toCharArray())).isTrue();
    assertThat(users.authenticate("ci", "secret".toCharArray())).as("remembered").isTrue();
    assertThat(users.authenticate("ci", "wrong".toCharArray())).as("a different password is checked").isFalse();
    assertThat(users.authenticate("plain", "secret".toCharArray())).isTrue();
    assertThat(users.authenticate("local", "local-pw".toCharArray())).isTrue();
    assertThat(users.authenticate("nobody", "secret".toCharArray())).isFalse();
    assertThat(users.privileges("ci")).containsExactly(Privilege.parse("a:write"));
    assertThat(users.privileges("plain")).containsExactly(Privilege.parse("a:read"));
    assertThat(users.privileges("nobody")).isEmpty();
    assertThat(users.exists("plain")).isTrue();
  }
}
