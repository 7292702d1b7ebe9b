package io.wharf.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.RegistryAuthenticationFailedException;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS: the main port from PEM files, a repository port from PKCS#12, another inheriting the
 * main port's; a client trusting the test CA gets through, others fail the handshake; Jib pushes
 * with credentials over it.
 */
class TlsTest {
  @TempDir static Path dir;
  static TestCa ca;
  static WharfServer server;
  static HttpClient trusting;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(TestCa.available(), "needs " + TestCa.OPENSSL);
    ca = TestCa.create(dir.resolve("ca"));
    String hash = PasswordHashes.hash("ci-pw".toCharArray(), 4);
    server = WharfServer.start(ConfigLoader.parse("""
        server:
          bind: 127.0.0.1
          port: 0
          accessLog: false
          tls: {certificate: CERT, key: KEY}
        blobStores: {default: {type: file, path: DATA}}
        security:
          users: [{name: ci, passwordHash: "HASH", roles: [pusher]}]
          roles: [{name: pusher, privileges: ["*:read", "*:write"]}]
        repositories:
          - {name: hosted, anonymousPull: true}
          - {name: p12, http: {port: 0, tls: {pkcs12: P12, password: PASSWORD}}}
          - {name: inherits, http: {port: 0}}
        """.replace("CERT", ca.serverCertificate().toString()).replace("KEY", ca.serverKey().toString())
        .replace("P12", ca.serverPkcs12().toString()).replace("PASSWORD", TestCa.P12_PASSWORD)
        .replace("DATA", dir.resolve("data").toString()).replace("HASH", hash), "tls-test.yaml"));
    trusting = HttpClient.newBuilder().sslContext(ca.clientContext()).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  static HttpResponse<String> get(HttpClient client, String url) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void mainPort_speaksHttpsWithThePemCertificate_andTheRealmSaysHttps() throws Exception {
    assertThat(server.url().getScheme()).isEqualTo("https");

    HttpResponse<String> r = get(trusting, server.url() + "/v2/");

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(h ->
        assertThat(h).startsWith("Bearer realm=\"" + server.url() + "/v2/token\""));
    HttpResponse<String> token = trusting.send(HttpRequest.newBuilder(URI.create(server.url() + "/v2/token?service=wharf"))
        .header("Authorization", SecureServer.basic("ci", "ci-pw")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(token.statusCode()).isEqualTo(200);
  }

  @Test
  void repositoryPort_withItsOwnPkcs12_andOneInheritingTheMainPorts() throws Exception {
    assertThat(get(trusting, server.url("p12") + "/v2/").statusCode()).isEqualTo(401);
    assertThat(server.url("p12").getScheme()).isEqualTo("https");
    assertThat(get(trusting, server.url("inherits") + "/v2/").statusCode()).isEqualTo(401);
  }

  @Test
  void clientThatDoesNotTrustTheCa_failsTheHandshake() {
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    assertThatThrownBy(() -> get(plain, server.url() + "/v2/")).isInstanceOf(SSLHandshakeException.class);
  }

  @Test
  void jib_pushesWithCredentials_overHttps() throws Exception {
    String image = "127.0.0.1:" + server.port() + "/team/jib-login:1.0";
    Path layer = Files.createDirectories(dir.resolve("jib")).resolve("app.bin");
    byte[] bytes = new byte[100_000];
    new Random(5).nextBytes(bytes);
    Files.write(layer, bytes);

    // Jib does not know the test CA: with allowInsecureRegistries it falls back to HTTPS without
    // verification, and sends the credentials because the connection is still HTTPS
    JibContainer pushed = Jib.fromScratch()
        .addLayer(List.of(layer), AbsoluteUnixPath.get("/app"))
        .containerize(Containerizer.to(RegistryImage.named(image).addCredential("ci", "ci-pw"))
            .setAllowInsecureRegistries(true));

    HttpResponse<String> manifest = trusting.send(HttpRequest.newBuilder(
            URI.create(server.url() + "/v2/team/jib-login/manifests/1.0"))
        .header("Authorization", SecureServer.basic("ci", "ci-pw"))
        .header("Accept", MediaTypes.DOCKER_MANIFEST + ", " + MediaTypes.OCI_MANIFEST).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(manifest.statusCode()).isEqualTo(200);
    assertThat(manifest.headers().firstValue("Docker-Content-Digest")).hasValue(pushed.getDigest().toString());
  }

  @Test
  void jib_withAWrongPassword_isRefused() {
    String image = "127.0.0.1:" + server.port() + "/team/jib-refused:1.0";
    assertThatThrownBy(() -> Jib.fromScratch()
        .containerize(Containerizer.to(RegistryImage.named(image).addCredential("ci", "wrong"))
            .setAllowInsecureRegistries(true)))
        .hasStackTraceContaining(RegistryAuthenticationFailedException.class.getName())
        .hasStackTraceContaining("401 Unauthorized");
  }
}
