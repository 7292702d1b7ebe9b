package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.http.RegistryHttp.Resp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code /v2/}, the headers every response carries, wrong methods and paths, ignored query parameters. */
class BaseEndpointTest {
  private static RegistryHttp http;

  @BeforeAll
  static void start() throws Exception {
    http = RegistryHttp.inMemory();
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  @Test
  void getBase_always_200EmptyJsonWithApiVersion() {
    Resp r = http.get("/v2/");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Docker-Distribution-API-Version")).isEqualTo("registry/2.0");
    assertThat(r.header("Content-Type")).startsWith("application/json");
    assertThat(r.text()).isEqualTo("{}");
  }

  @Test
  void getBase_withoutTrailingSlash_200() {
    Resp r = http.get("/v2");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.text()).isEqualTo("{}");
  }

  @Test
  void headBase_always_200WithLengthAndNoBody() {
    Resp r = http.head("/v2/");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Docker-Distribution-API-Version")).isEqualTo("registry/2.0");
    assertThat(r.header("Content-Length")).isEqualTo("2");
    assertThat(r.body()).isEmpty();
  }

  @Test
  void errorResponse_always_carriesApiVersionHeader() {
    Resp r = http.get("/v2/base/unknown/manifests/latest");

    assertError(r, 404, "MANIFEST_UNKNOWN");
    assertThat(r.header("Docker-Distribution-API-Version")).isEqualTo("registry/2.0");
  }

  @Test
  void putBase_wrongMethod_405WithErrorBodyAndAllow() {
    Resp r = http.put("/v2/", "{}".getBytes(UTF_8));

    assertError(r, 405, "UNSUPPORTED");
    assertThat(r.header("Allow")).contains("GET");
  }

  @Test
  void postManifest_wrongMethod_405WithErrorBody() {
    Resp r = http.post("/v2/base/app/manifests/latest", "{}".getBytes(UTF_8));

    assertError(r, 405, "UNSUPPORTED");
    assertThat(r.header("Allow")).contains("PUT").contains("DELETE");
  }

  @Test
  void putBlob_wrongMethod_405WithErrorBody() {
    Resp r = http.put("/v2/base/app/blobs/" + RegistryHttp.unknownDigest(), new byte[1]);

    assertError(r, 405, "UNSUPPORTED");
  }

  @Test
  void deleteTagsList_wrongMethod_405WithErrorBody() {
    assertError(http.delete("/v2/base/app/tags/list"), 405, "UNSUPPORTED");
  }

  @Test
  void getUploads_withoutSession_405WithErrorBody() {
    assertError(http.get("/v2/base/app/blobs/uploads/"), 405, "UNSUPPORTED");
  }

  @Test
  void get_pathOutsideApi_404WithErrorBody() {
    Resp r = http.get("/not-the-api");

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().get("errors")).isNotEmpty();
  }

  @Test
  void get_unknownEndpointUnderV2_404WithErrorBody() {
    Resp r = http.get("/v2/base/app/nothing-here");

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().get("errors")).isNotEmpty();
  }

  @Test
  void requests_unknownQueryParameter_ignored() {
    String name = "base/containerd";
    RegistryHttp.ManifestJson m = http.pushImage(name, "v1", 1);

    assertThat(http.get("/v2/?ns=docker.io").status()).isEqualTo(200);
    Resp byTag = http.get("/v2/" + name + "/manifests/v1?ns=docker.io");
    assertThat(byTag.status()).isEqualTo(200);
    assertThat(byTag.body()).isEqualTo(m.bytes());
    assertThat(http.head("/v2/" + name + "/manifests/" + m.digest() + "?ns=docker.io").status()).isEqualTo(200);
    assertThat(http.get("/v2/" + name + "/tags/list?ns=docker.io").status()).isEqualTo(200);

    byte[] blob = RegistryHttp.randomBlob(64);
    Resp post = http.post("/v2/" + name + "/blobs/uploads/?ns=docker.io", new byte[0]);
    assertThat(post.status()).isEqualTo(202);
    Resp put = http.put(post.location() + "?ns=docker.io&digest=" + RegistryHttp.digest(blob), blob,
        "Content-Type", "application/octet-stream");
    assertThat(put.status()).isEqualTo(201);
    assertThat(http.get("/v2/" + name + "/blobs/" + RegistryHttp.digest(blob) + "?ns=docker.io").body())
        .isEqualTo(blob);
  }
}
