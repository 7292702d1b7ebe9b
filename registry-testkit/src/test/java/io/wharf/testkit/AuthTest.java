package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kit with the server's authentication on: users, tokens, and token expiry on the kit's clock. */
class AuthTest {
  @TempDir Path work;

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void credentials_anonymousRefused_basicAccepted_journalNamesTheUser() {
    try (TestRegistry registry = TestRegistry.start(TestRegistryOptions.defaults().credentials("ci", "s3cret"))) {
      assertThat(registry.credentials()).hasValue(new TestRegistry.Credentials("ci", "s3cret"));
      HttpResponse<byte[]> anonymous = Http.get(registry.url(), "/v2/");
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(c -> assertThat(c)
          .startsWith("Bearer realm=\"" + registry.url() + "/v2/token\"").contains("service=\"wharf-testkit\""));

      HttpResponse<byte[]> wrong = Http.send(HttpRequest.newBuilder(registry.url().resolve("/v2/"))
          .header("Authorization", basic("ci", "nope")).build());
      HttpResponse<byte[]> right = Http.send(HttpRequest.newBuilder(registry.url().resolve("/v2/"))
          .header("Authorization", basic("ci", "s3cret")).build());
      assertThat(wrong.statusCode()).isEqualTo(401);
      assertThat(right.statusCode()).isEqualTo(200);
      assertThat(registry.journal().requests()).extracting(RecordedRequest::user, RecordedRequest::status)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(null, 401), org.assertj.core.groups.Tuple.tuple("ci", 401),
              org.assertj.core.groups.Tuple.tuple("ci", 200));
    }
  }

  @Test
  void jibPushesWithCredentials_throughTheTokenProtocol() throws Exception {
    try (TestRegistry registry = TestRegistry.start(TestRegistryOptions.defaults().credentials("ci", "s3cret"))) {
      Path file = Files.writeString(work.resolve("app.txt"), "hello");
      String previous = System.setProperty("sendCredentialsOverHttp", "true"); // Jib's guard for plain-HTTP registries
      try {
        Jib.fromScratch().addLayer(List.of(file), AbsoluteUnixPath.get("/app"))
            .containerize(Containerizer.to(RegistryImage.named(registry.imageRef("team/app", "1.0"))
                    .addCredential("ci", "s3cret"))
                .setAllowInsecureRegistries(true)
                .setApplicationLayersCache(work.resolve("cache")).setBaseImageLayersCache(work.resolve("cache")));
      } finally {
        if (previous == null) {
          System.clearProperty("sendCredentialsOverHttp");
        } else {
          System.setProperty("sendCredentialsOverHttp", previous);
        }
      }
      RequestJournal journal = registry.journal();
      assertThat(journal.pushedTags("team/app")).containsExactly("1.0");
      assertThat(journal.requests(RecordedRequest::isTagPush)).extracting(RecordedRequest::user).containsOnly("ci");
      assertThat(journal.count("GET", Endpoint.TOKEN)).isPositive();
    }
  }

  @Test
  void tokens_expireWhenTheKitClockMoves() {
    try (TestRegistry registry = TestRegistry.start(TestRegistryOptions.defaults().credentials("ci", "s3cret"))) {
      registry.push("team/app", "1.0", TestImages.seeded(1).build());
      HttpResponse<byte[]> issued = Http.send(HttpRequest.newBuilder(registry.url().resolve(
              "/v2/token?service=wharf-testkit&scope=repository:team/app:pull"))
          .header("Authorization", basic("ci", "s3cret")).build());
      assertThat(issued.statusCode()).isEqualTo(200);
      String token = TestImages.JSON.readTree(issued.body()).path("token").asString();
      HttpRequest pull = HttpRequest.newBuilder(registry.url().resolve("/v2/team/app/manifests/1.0"))
          .header("Accept", Http.ACCEPT_MANIFESTS).header("Authorization", "Bearer " + token).build();

      assertThat(Http.send(pull).statusCode()).isEqualTo(200);
      registry.clock().advance(Duration.ofMinutes(10)); // tokens live 5 minutes
      HttpResponse<byte[]> expired = Http.send(pull);
      assertThat(expired.statusCode()).isEqualTo(401);
      assertThat(expired.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(c ->
          assertThat(c).contains("error=\"invalid_token\""));
      assertThat(registry.journal().pulledManifests("team/app")).containsExactly("1.0");
      assertThat(registry.journal().requests(r -> r.endpoint() == Endpoint.MANIFEST))
          .extracting(RecordedRequest::user).containsOnly("ci");
    }
  }

  @Nested
  @WharfRegistry(username = "ci", password = "s3cret")
  class ThroughTheAnnotation {
    @Test
    void credentialsFromTheAnnotation(TestRegistry registry) {
      assertThat(registry.credentials()).hasValue(new TestRegistry.Credentials("ci", "s3cret"));
      assertThat(Http.get(registry.url(), "/v2/").statusCode()).isEqualTo(401);
    }
  }

  @Test
  void anonymousPull_pullsWithoutCredentials_pushNeedsThem() {
    try (TestRegistry registry = TestRegistry.start(TestRegistryOptions.defaults().credentials("ci", "s3cret")
        .anonymousPull(true))) {
      registry.push("team/app", "1.0", TestImages.seeded(1).build());
      assertThat(Http.get(registry.url(), "/v2/team/app/manifests/1.0").statusCode()).isEqualTo(200);
      HttpResponse<byte[]> push = Http.send(HttpRequest.newBuilder(registry.url().resolve("/v2/team/app/blobs/uploads/"))
          .POST(HttpRequest.BodyPublishers.noBody()).build());
      assertThat(push.statusCode()).isEqualTo(401);
    }
  }

  @Test
  void fakeUpstreamWithCredentials_proxyLogsInWithTokens() {
    try (TestRegistry registry = TestRegistry.start(TestRegistryOptions.defaults().fakeUpstream()
        .upstreamCredentials("hub-user", "hub-pass"))) {
      TestRegistry hub = registry.upstream();
      TestImage alpine = TestImages.seeded(320).build();
      hub.push("library/alpine", "3.20", alpine);
      assertThat(Http.get(hub.url(), "/v2/library/alpine/manifests/3.20").statusCode()).isEqualTo(401);

      HttpResponse<byte[]> viaProxy = Http.get(registry.proxy().url(), "/v2/alpine/manifests/3.20");
      assertThat(viaProxy.statusCode()).isEqualTo(200);
      assertThat(viaProxy.body()).isEqualTo(alpine.manifest().bytes());
      assertThat(hub.journal().requests(r -> r.endpoint() == Endpoint.MANIFEST && r.isSuccessful()))
          .extracting(RecordedRequest::user).containsOnly("hub-user");
      assertThat(hub.journal().count("GET", Endpoint.TOKEN)).isPositive();
    }
  }
}
