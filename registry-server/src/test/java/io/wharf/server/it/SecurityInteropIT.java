package io.wharf.server.it;

import static io.wharf.server.it.OciLayouts.Compression.GZIP;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_AMD64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.auth.TestCa;
import io.wharf.server.it.OciLayouts.Image;
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
 * skopeo against a secured {@code wharf.jar}: {@code skopeo login}, push with
 * {@code --dest-creds} and with the login's auth file, anonymous pull, refused anonymous and
 * read-only pushes, a user carried over from an htpasswd file, and a pull over HTTPS that
 * verifies the server against the test CA ({@code --src-cert-dir}).
 */
@Tag("interop")
class SecurityInteropIT {
  /** "secret", as {@code htpasswd -nbB -C 4 legacy secret} made it. */
  static final String LEGACY = "legacy:$2y$04$4K0FGkXq/DvpDS/ur6eGt.bIXx3tFQLqjLfNmEKeOvo8FAgMABz1i";

  @TempDir static Path tmp;
  static WharfProcess wharf;
  static Skopeo skopeo;
  static TestCa ca;
  static int tlsPort;
  static String pushed;

  @BeforeAll
  static void start() throws IOException {
    assertThat(Skopeo.isInstalled()).as("skopeo is missing: .ci/run installs it with apt-get").isTrue();
    assertThat(TestCa.available()).as("openssl is missing").isTrue();
    ca = TestCa.create(tmp.resolve("ca"));
    tlsPort = ServerProcess.freePort();
    Path htpasswd = Files.writeString(tmp.resolve("users.htpasswd"), LEGACY + "\n");
    Path config = Files.writeString(tmp.resolve("wharf.yaml"), """
        security:
          realms: [docker-token, basic]
          users: [{name: ci, passwordHash: "HASH", roles: [pusher]}]
          htpasswd: HTPASSWD
          htpasswdRoles: [reader]
          roles:
            - {name: pusher, privileges: ["docker-hosted:read", "docker-hosted:write"]}
            - {name: reader, privileges: ["docker-hosted:read"]}
        repositories:
          - name: docker-hosted
            anonymousPull: true
            http: {port: TLSPORT, tls: {certificate: CERT, key: KEY}}
          - {name: private}
        """.replace("HASH", PasswordHashes.hash("ci-pw".toCharArray(), 4))
        .replace("HTPASSWD", htpasswd.toString())
        .replace("TLSPORT", Integer.toString(tlsPort))
        .replace("CERT", ca.serverCertificate().toString())
        .replace("KEY", ca.serverKey().toString()));
    wharf = WharfProcess.serveConfig(config, tmp.resolve("data"), "128m");
    skopeo = new Skopeo(tmp.resolve("skopeo"));

    OciLayouts src = OciLayouts.create(tmp.resolve("src"), 505);
    Image image = src.image(LINUX_AMD64, GZIP, 2, 128 * 1024);
    src.tag("1.0", image.manifest());
    pushed = image.manifest().digest();
    skopeo.copy(src.ref("1.0"), "docker://" + wharf.hostPort() + "/docker-hosted/team/app:1.0",
        "--dest-creds", "ci:ci-pw");
  }

  @AfterAll
  static void stop() {
    if (wharf != null) {
      wharf.close();
    }
  }

  static String login(String user, String password, Path authFile) {
    return new String(skopeo.run(List.of("login", "--tls-verify=false", "--authfile", authFile.toString(),
        "-u", user, "-p", password, wharf.hostPort())));
  }

  static OciLayouts fresh(String name, long seed) {
    OciLayouts src = OciLayouts.create(tmp.resolve(name), seed);
    src.tag("1.0", src.image(LINUX_AMD64, GZIP, 1, 32 * 1024).manifest());
    return src;
  }

  @Test
  void pushWithDestCreds_landsInTheRepository() throws Exception {
    byte[] raw = skopeo.run(List.of("inspect", "--raw", "--tls-verify=false", "--creds", "ci:ci-pw",
        "docker://" + wharf.hostPort() + "/docker-hosted/team/app:1.0"));
    assertThat(OciLayouts.sha256(raw)).isEqualTo(pushed);
  }

  @Test
  void skopeoLogin_thenPushWithTheAuthFile() {
    Path auth = tmp.resolve("auth-ci.json");
    assertThat(login("ci", "ci-pw", auth)).contains("Login Succeeded");

    OciLayouts src = fresh("src-login", 506);
    skopeo.copy(src.ref("1.0"), "docker://" + wharf.hostPort() + "/docker-hosted/team/logged-in:1.0",
        "--dest-authfile", auth.toString());

    assertThat(skopeo.listTags("docker://" + wharf.hostPort() + "/docker-hosted/team/logged-in")).contains("1.0");
  }

  @Test
  void skopeoLogin_wrongPassword_fails_htpasswdUserSucceeds() {
    assertThatThrownBy(() -> login("ci", "wrong", tmp.resolve("auth-wrong.json")))
        .isInstanceOf(Skopeo.SkopeoException.class).hasMessageContaining("invalid username/password");
    assertThat(login("legacy", "secret", tmp.resolve("auth-legacy.json"))).contains("Login Succeeded");
  }

  @Test
  void anonymousPull_fromARepositoryThatAllowsIt() throws Exception {
    skopeo.copy("docker://" + wharf.hostPort() + "/docker-hosted/team/app:1.0", "oci:" + tmp.resolve("pulled") + ":1.0");
    assertThat(OciLayouts.resolve(tmp.resolve("pulled"), "1.0").digest()).isEqualTo(pushed);
  }

  @Test
  void anonymousPush_andReadOnlyPush_areRefused() {
    OciLayouts src = fresh("src-refused", 507);
    assertThatThrownBy(() -> skopeo.copy(src.ref("1.0"), "docker://" + wharf.hostPort() + "/docker-hosted/team/anon:1.0"))
        .isInstanceOf(Skopeo.SkopeoException.class).hasMessageContaining("authentication required");
    assertThatThrownBy(() -> skopeo.copy(src.ref("1.0"), "docker://" + wharf.hostPort() + "/docker-hosted/team/ro:1.0",
        "--dest-creds", "legacy:secret"))
        .isInstanceOf(Skopeo.SkopeoException.class).hasMessageContaining("denied");
    assertThatThrownBy(() -> skopeo.copy("docker://" + wharf.hostPort() + "/private/team/app:1.0",
        "oci:" + tmp.resolve("nope") + ":1.0"))
        .isInstanceOf(Skopeo.SkopeoException.class);
  }

  @Test
  void pullOverHttps_verifiedWithTheTestCa() throws Exception {
    String ref = "docker://127.0.0.1:" + tlsPort + "/team/app:1.0";
    Path out = tmp.resolve("pulled-tls");

    skopeo.run(List.of("copy", "--src-cert-dir", ca.certDir().toString(), ref, "oci:" + out + ":1.0"));

    assertThat(OciLayouts.resolve(out, "1.0").digest()).isEqualTo(pushed);
    // without the CA, skopeo refuses the certificate
    assertThatThrownBy(() -> skopeo.run(List.of("inspect", "--raw", ref)))
        .isInstanceOf(Skopeo.SkopeoException.class).hasMessageContaining("x509");
  }
}
