package io.wharf.server.it;

import static io.wharf.server.it.OciLayouts.Compression.GZIP;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_AMD64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.auth.TestCa;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * skopeo against {@code wharf.jar} whose users come from a real OpenLDAP ({@link Slapd}), reached
 * with StartTLS and the test CA as trust store: {@code skopeo login} and push as a directory user
 * whose group maps to push, a directory user whose group maps to pull only is refused the push,
 * a wrong password is refused, and a local user still logs in.
 */
@Tag("interop")
class LdapInteropIT {
  @TempDir static Path tmp;
  static Slapd slapd;
  static WharfProcess wharf;
  static Skopeo skopeo;

  @BeforeAll
  static void start() throws IOException {
    assertThat(Slapd.isInstalled()).as("slapd is missing: .ci/run installs it with apt-get (slapd ldap-utils)").isTrue();
    assertThat(Skopeo.isInstalled()).as("skopeo is missing: .ci/run installs it with apt-get").isTrue();
    TestCa ca = TestCa.create(tmp.resolve("ca"));
    slapd = Slapd.start(Files.createDirectories(tmp.resolve("slapd")), ca);
    Path config = Files.writeString(tmp.resolve("wharf.yaml"), """
        security:
          realms: [docker-token, basic, ldap]
          users: [{name: ci, passwordHash: "HASH", roles: [pusher]}]
          roles:
            - {name: pusher, privileges: ["docker-hosted:read", "docker-hosted:write"]}
            - {name: puller, privileges: ["docker-hosted:read"]}
          ldap:
            urls: URL
            startTls: true
            trustStore: CA
            bindDn: "SERVICE_DN"
            bindPassword: SERVICE_PASSWORD
            userBaseDn: "ou=people,BASE"
            groupBaseDn: "ou=groups,BASE"
            groupRoles: {developers: [pusher], readers: [puller]}
        repositories:
          - {name: docker-hosted}
        """.replace("HASH", PasswordHashes.hash("ci-pw".toCharArray(), 4))
        .replace("URL", slapd.url())
        .replace("CA", ca.caCertificate().toString())
        .replace("SERVICE_DN", Slapd.SERVICE_DN)
        .replace("SERVICE_PASSWORD", Slapd.SERVICE_PASSWORD)
        .replace("BASE", Slapd.BASE));
    wharf = WharfProcess.serveConfig(config, tmp.resolve("data"), "128m");
    skopeo = new Skopeo(tmp.resolve("skopeo"));
  }

  @AfterAll
  static void stop() {
    if (wharf != null) {
      wharf.close();
    }
    if (slapd != null) {
      slapd.close();
    }
  }

  static String login(String user, String password, Path authFile) {
    return new String(skopeo.run(List.of("login", "--tls-verify=false", "--authfile", authFile.toString(),
        "-u", user, "-p", password, wharf.hostPort())));
  }

  static OciLayouts image(String name, long seed) {
    OciLayouts src = OciLayouts.create(tmp.resolve(name), seed);
    src.tag("1.0", src.image(LINUX_AMD64, GZIP, 2, 64 * 1024).manifest());
    return src;
  }

  @Test
  void directoryUser_skopeoLogin_thenPushWithTheAuthFile_andPullItBack() throws Exception {
    Path auth = tmp.resolve("auth-dev.json");
    assertThat(login("dev", "dev-pw", auth)).contains("Login Succeeded");
    OciLayouts src = image("src-dev", 801);

    skopeo.copy(src.ref("1.0"), "docker://" + wharf.hostPort() + "/docker-hosted/team/ldap:1.0",
        "--dest-authfile", auth.toString());

    skopeo.copy("docker://" + wharf.hostPort() + "/docker-hosted/team/ldap:1.0", "oci:" + tmp.resolve("pulled") + ":1.0",
        "--src-creds", "viewer:viewer-pw");
    assertThat(OciLayouts.resolve(tmp.resolve("pulled"), "1.0").digest())
        .isEqualTo(OciLayouts.resolve(tmp.resolve("src-dev"), "1.0").digest());
  }

  @Test
  void directoryUser_withPullOnly_isDeniedThePush() {
    OciLayouts src = image("src-viewer", 802);

    assertThatThrownBy(() -> skopeo.copy(src.ref("1.0"), "docker://" + wharf.hostPort() + "/docker-hosted/team/nope:1.0",
        "--dest-creds", "viewer:viewer-pw"))
        .isInstanceOf(Skopeo.SkopeoException.class).hasMessageContaining("denied");
  }

  @Test
  void wrongPassword_isRefused_andALocalUserStillLogsIn() {
    assertThatThrownBy(() -> login("dev", "wrong", tmp.resolve("auth-wrong.json")))
        .isInstanceOf(Skopeo.SkopeoException.class).hasMessageContaining("invalid username/password");
    assertThat(login("ci", "ci-pw", tmp.resolve("auth-ci.json"))).contains("Login Succeeded");
  }
}
