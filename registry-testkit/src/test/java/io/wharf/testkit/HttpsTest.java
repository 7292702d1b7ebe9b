package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TestRegistryOptions#https()}: a generated certificate, and clients that trust it. */
class HttpsTest {
  @TempDir Path work;

  @Nested
  @WharfRegistry(https = true)
  class Annotated {
    @Test
    void https_servesTheApi_toAClientThatTrustsTheSslContext_only(TestRegistry registry) throws Exception {
      assertThat(registry.url().toString()).startsWith("https://127.0.0.1:");
      HttpClient trusting = HttpClient.newBuilder().sslContext(registry.tls().sslContext()).build();

      assertThat(get(trusting, registry.url().resolve("/v2/")).statusCode()).isEqualTo(200);
      // the name "localhost" is in the certificate too (hostname verification is on in java.net.http)
      URI byName = URI.create("https://localhost:" + registry.url().getPort() + "/v2/");
      assertThat(get(trusting, byName).statusCode()).isEqualTo(200);
      assertThatThrownBy(() -> get(HttpClient.newHttpClient(), registry.url().resolve("/v2/")))
          .isInstanceOf(SSLHandshakeException.class);
      assertThat(registry.journal().lines()).containsExactly("GET /v2/", "GET /v2/");
    }

    @Test
    void trustStoreAndPem_describeTheServersCertificate(TestRegistry registry) throws Exception {
      TestTls tls = registry.tls();
      X509Certificate cert = tls.certificate();
      assertThat(cert.getSubjectAlternativeNames()).extracting(n -> n.get(1).toString())
          .containsExactlyInAnyOrder("127.0.0.1", "0:0:0:0:0:0:0:1", "localhost");
      assertThat(cert.getBasicConstraints()).isGreaterThanOrEqualTo(0); // its own CA

      KeyStore trust = KeyStore.getInstance(tls.trustStoreType());
      try (InputStream in = Files.newInputStream(tls.trustStore())) {
        trust.load(in, tls.trustStorePassword().toCharArray());
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext fromFile = SSLContext.getInstance("TLS");
      fromFile.init(null, tmf.getTrustManagers(), null);
      assertThat(get(HttpClient.newBuilder().sslContext(fromFile).build(), registry.url().resolve("/v2/")).statusCode())
          .isEqualTo(200);

      assertThat(tls.certificateFile()).hasParent(tls.certDirectory());
      assertThat(Files.readString(tls.certificateFile())).isEqualTo(tls.certificatePem())
          .startsWith("-----BEGIN CERTIFICATE-----\n");
      try (InputStream in = Files.newInputStream(tls.certificateFile())) {
        assertThat(CertificateFactory.getInstance("X.509").generateCertificate(in)).isEqualTo(cert);
      }
      try (var files = Files.list(tls.certDirectory())) {
        assertThat(files.map(p -> p.getFileName().toString())).containsExactly("ca.crt"); // what --cert-dir reads
      }
    }
  }

  @Test
  void plainRegistry_tls_saysHowToGetOne() {
    try (TestRegistry registry = TestRegistry.start()) {
      assertThatThrownBy(registry::tls).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("TestRegistryOptions.defaults().https()");
    }
  }

  @Test
  void https_everyPortOfAFakeUpstreamSetup_upstreamStaysPlain() throws Exception {
    try (TestRegistry registry = TestRegistry.start(TestRegistryOptions.defaults().https().fakeUpstream())) {
      registry.upstream().push("library/alpine", "3.20", TestImages.seeded(320).build());
      HttpClient trusting = HttpClient.newBuilder().sslContext(registry.tls().sslContext()).build();

      assertThat(registry.proxy().url().getScheme()).isEqualTo("https");
      assertThat(registry.group().url().getScheme()).isEqualTo("https");
      assertThat(registry.upstream().url().getScheme()).isEqualTo("http");
      HttpRequest pull = HttpRequest.newBuilder(registry.group().url().resolve("/v2/alpine/manifests/3.20"))
          .header("Accept", Http.ACCEPT_MANIFESTS).build();
      assertThat(trusting.send(pull, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
    }
  }

  /**
   * Jib refuses to send credentials over plain HTTP unless the JVM-wide {@code
   * sendCredentialsOverHttp} is set; over the kit's HTTPS it sends them. Jib takes no SSLContext:
   * {@code setAllowInsecureRegistries(true)} lets it accept the self-signed certificate.
   */
  @Test
  void jib_withCredentials_overHttps_withoutSendCredentialsOverHttp() throws Exception {
    assertThat(System.getProperty("sendCredentialsOverHttp")).isNull();
    try (TestRegistry registry = TestRegistry.start(TestRegistryOptions.defaults().https().credentials("ci", "s3cret"))) {
      registry.push("base/java", "17", TestImages.seeded(17).layers(2, 4096).build());
      Path app = Files.writeString(work.resolve("app.txt"), "hello over TLS");

      JibContainer built = Jib.from(RegistryImage.named(registry.imageRef("base/java", "17")).addCredential("ci", "s3cret"))
          .addLayer(List.of(app), AbsoluteUnixPath.get("/app"))
          .containerize(Containerizer.to(RegistryImage.named(registry.imageRef("team/app", "1.0"))
                  .addCredential("ci", "s3cret"))
              .setAllowInsecureRegistries(true)
              .setBaseImageLayersCache(work.resolve("cache-base"))
              .setApplicationLayersCache(work.resolve("cache-app")));

      assertThat(registry.manifest("team/app:1.0").orElseThrow().digest().value()).isEqualTo(built.getDigest().toString());
      assertThat(registry.journal().requests(RecordedRequest::isTagPush))
          .singleElement().satisfies(r -> assertThat(r.user()).isEqualTo("ci"));
    }
  }

  private static HttpResponse<Void> get(HttpClient client, URI uri) throws Exception {
    return client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding());
  }
}
