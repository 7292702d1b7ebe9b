package io.wharf.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The overlay of run-time users and roles over the files' ones. */
class UserDirectoryTest {
  static final String SECRET = HtpasswdTest.KNOWN; // "secret"

  static UserDirectory directory(Path dir) throws Exception {
    Path file = dir.resolve("htpasswd");
    Files.writeString(file, "plain:" + SECRET + "\n");
    return new UserDirectory(List.of(new UserDirectory.Entry("root", SECRET, List.of("admins"))),
        Map.of("admins", Set.of(Privilege.ALL), "readers", Set.of(Privilege.parse("a:read"))),
        List.of(Htpasswd.read(file)), List.of("readers"));
  }

  @Test
  void overlay_usersLogInWithTheirNestedRoles_andReplacingItEndsThem(@TempDir Path dir) throws Exception {
    UserDirectory users = directory(dir);
    users.overlay(new UserDirectory.Overlay(
        List.of(new UserDirectory.Entry("dev", SECRET, List.of("outer"))),
        List.of(new UserDirectory.Role("inner", Set.of(Privilege.parse("b:write")), List.of("readers")),
            new UserDirectory.Role("outer", Set.of(), List.of("inner")))));

    assertThat(users.authenticate("dev", "secret".toCharArray())).isTrue();
    assertThat(users.privileges("dev")).containsExactlyInAnyOrder(Privilege.parse("b:write"), Privilege.parse("a:read"));
    assertThat(users.exists("dev")).isTrue();
    assertThat(users.isFileUser("dev")).isFalse();

    users.overlay(UserDirectory.Overlay.EMPTY);
    assertThat(users.authenticate("dev", "secret".toCharArray())).as("remembered login ends with the user").isFalse();
    assertThat(users.privileges("dev")).isEmpty();
    assertThat(users.exists("dev")).isFalse();
  }

  @Test
  void overlay_refusesTheFilesNames_unknownRoles_andCycles(@TempDir Path dir) throws Exception {
    UserDirectory users = directory(dir);
    assertThatThrownBy(() -> users.overlay(new UserDirectory.Overlay(
        List.of(new UserDirectory.Entry("plain", SECRET, List.of())), List.of()))).hasMessageContaining("plain");
    assertThatThrownBy(() -> users.overlay(new UserDirectory.Overlay(List.of(),
        List.of(new UserDirectory.Role("admins", Set.of(), List.of()))))).hasMessageContaining("admins");
    assertThatThrownBy(() -> users.overlay(new UserDirectory.Overlay(
        List.of(new UserDirectory.Entry("dev", SECRET, List.of("nope"))), List.of()))).hasMessageContaining("nope");
    assertThatThrownBy(() -> users.overlay(new UserDirectory.Overlay(List.of(), List.of(
        new UserDirectory.Role("x", Set.of(), List.of("y")), new UserDirectory.Role("y", Set.of(), List.of("x"))))))
        .hasMessageContaining("contain each other");
    // a refused overlay changes nothing
    assertThat(users.fileUsers()).extracting(UserDirectory.FileUser::name).containsExactly("root", "plain");
    assertThat(users.privileges("plain")).containsExactly(Privilege.parse("a:read"));
  }

  @Test
  void administrators_areTheFilesAndTheCandidatesHoldersOfAll(@TempDir Path dir) throws Exception {
    UserDirectory users = directory(dir);
    UserDirectory.Overlay candidate = new UserDirectory.Overlay(
        List.of(new UserDirectory.Entry("ops", SECRET, List.of("boss")), new UserDirectory.Entry("dev", SECRET,
            List.of("readers"))),
        List.of(new UserDirectory.Role("boss", Set.of(), List.of("admins"))));
    assertThat(users.administrators(candidate)).containsExactly("ops", "root");
    assertThat(users.exists("ops")).as("only a candidate").isFalse();
  }
}
