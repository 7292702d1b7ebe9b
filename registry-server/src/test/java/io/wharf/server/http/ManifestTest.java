package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static io.wharf.server.http.RegistryHttp.randomBlob;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.repository.HostedRepository;
import io.wharf.server.http.RegistryHttp.ManifestJson;
import io.wharf.server.http.RegistryHttp.Resp;
import io.wharf.storage.memory.InMemoryDriver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Manifest push, pull and delete for the four manifest types (API-NOTES 3, 5, 8). The metadata
 * cache is off, so every read goes to storage, as after a restart or on another node.
 */
class ManifestTest {
  private static RegistryHttp http;

  @BeforeAll
  static void start() throws Exception {
    http = RegistryHttp.start(
        HostedRepository.builder("hosted", new InMemoryDriver()).metadataCacheTtl(Duration.ZERO).build());
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  private static void assertManifest(Resp r, ManifestJson m) {
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    assertThat(r.body()).isEqualTo(m.bytes());
    assertThat(r.header("Content-Type")).isEqualTo(m.mediaType());
    assertThat(r.header("Docker-Content-Digest")).isEqualTo(m.digest().value());
  }

  private static void assertHead(Resp r, ManifestJson m) {
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    assertThat(r.body()).isEmpty();
    assertThat(r.header("Content-Type")).isEqualTo(m.mediaType());
    assertThat(r.header("Docker-Content-Digest")).isEqualTo(m.digest().value());
    assertThat(r.header("Content-Length")).isEqualTo(Integer.toString(m.bytes().length));
  }

  /** An OCI image manifest whose config and one layer are pushed to {@code name}; not pushed itself. */
  private static ManifestJson ociImage(String name) {
    byte[] config = ("{\"os\":\"linux\",\"seed\":" + System.nanoTime() + "}").getBytes(UTF_8);
    byte[] layer = randomBlob(300);
    http.pushBlob(name, config);
    Digest l = http.pushBlob(name, layer);
    return ManifestJson.oci().config(MediaTypes.OCI_CONFIG, config)
        .layer(MediaTypes.OCI_LAYER_TAR_GZIP, l, layer.length);
  }

  @Test
  void putManifest_byTag_201WithLocationAndDigest() {
    String name = "manifest/by-tag";
    ManifestJson m = ociImage(name);

    Resp r = http.put("/v2/" + name + "/manifests/v1", m.bytes(), "Content-Type", m.mediaType());

    assertThat(r.status()).as("%s", r).isEqualTo(201);
    assertThat(r.location()).isEqualTo("/v2/" + name + "/manifests/" + m.digest());
    assertThat(r.header("Docker-Content-Digest")).isEqualTo(m.digest().value());
    assertThat(r.header("OCI-Subject")).isNull();
    assertManifest(http.get(r.location()), m);
  }

  @Test
  void putManifest_byDigest_201AndNoTag() {
    String name = "manifest/by-digest";
    ManifestJson m = ociImage(name);

    Resp r = http.put("/v2/" + name + "/manifests/" + m.digest(), m.bytes(), "Content-Type", m.mediaType());

    assertThat(r.status()).as("%s", r).isEqualTo(201);
    assertThat(r.location()).isEqualTo("/v2/" + name + "/manifests/" + m.digest());
    assertThat(r.header("Docker-Content-Digest")).isEqualTo(m.digest().value());
    assertThat(http.get("/v2/" + name + "/tags/list").json().get("tags")).isEmpty();
  }

  @Test
  void getManifest_byTagAndDigest_exactBytesAndPushedType() {
    String name = "manifest/get";
    ManifestJson m = ociImage(name);
    http.pushManifest(name, "1.0", m);

    assertManifest(http.get("/v2/" + name + "/manifests/1.0"), m);
    assertManifest(http.get("/v2/" + name + "/manifests/" + m.digest()), m);
    assertManifest(http.get("/v2/" + name + "/manifests/1.0", "Accept", MediaTypes.OCI_MANIFEST), m);
  }

  @Test
  void headManifest_byTagAndDigest_headersAndNoBody() {
    String name = "manifest/head";
    ManifestJson m = ociImage(name);
    http.pushManifest(name, "1.0", m);

    assertHead(http.head("/v2/" + name + "/manifests/1.0"), m);
    assertHead(http.head("/v2/" + name + "/manifests/" + m.digest()), m);
  }

  @Test
  void getManifest_exactBytesWithOddFormatting_servedUnchanged() {
    String name = "manifest/bytes";
    ManifestJson m = ociImage(name);
    String pretty = new String(m.bytes(), UTF_8)
        .replace("{\"schemaVersion\":2,", "{\n   \"schemaVersion\" : 2,\n\t") + "\n";
    byte[] body = pretty.getBytes(UTF_8);

    Resp put = http.pushManifest(name, "pretty", MediaTypes.OCI_MANIFEST, body);

    assertThat(put.header("Docker-Content-Digest")).isEqualTo(Digest.sha256(body).value());
    assertThat(http.get("/v2/" + name + "/manifests/pretty").body()).isEqualTo(body);
  }

  @Test
  void getManifest_ifNoneMatchCurrentEtag_304() {
    String name = "manifest/etag";
    ManifestJson m = ociImage(name);
    http.pushManifest(name, "v1", m);
    Resp first = http.get("/v2/" + name + "/manifests/v1");
    assertThat(first.header("ETag")).isEqualTo("\"" + m.digest() + "\"");

    Resp again = http.get("/v2/" + name + "/manifests/v1", "If-None-Match", first.header("ETag"));
    Resp other = http.get("/v2/" + name + "/manifests/v1", "If-None-Match", "\"sha256:other\"");

    assertThat(again.status()).isEqualTo(304);
    assertThat(again.body()).isEmpty();
    assertThat(other.status()).isEqualTo(200);
  }

  @Test
  void getManifest_unknownTagOrDigest_404ManifestUnknown() {
    String name = "manifest/unknown";
    http.pushImage(name, "exists", 1);

    assertError(http.get("/v2/" + name + "/manifests/nope"), 404, "MANIFEST_UNKNOWN");
    assertError(http.get("/v2/" + name + "/manifests/" + RegistryHttp.unknownDigest()), 404, "MANIFEST_UNKNOWN");
    assertThat(http.head("/v2/" + name + "/manifests/nope").status()).isEqualTo(404);
  }

  @Test
  void getManifest_unknownImage_404() {
    Resp r = http.get("/v2/manifest/never-pushed/manifests/latest");

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().get("errors").get(0).get("code").asString()).isIn("MANIFEST_UNKNOWN", "NAME_UNKNOWN");
  }

  @Test
  void getManifest_invalidTagName_404() {
    String name = "manifest/invalid-tag";
    http.pushImage(name, "v1", 1);

    Resp r = http.get("/v2/" + name + "/manifests/.INVALID_MANIFEST_NAME");

    assertError(r, 404, "MANIFEST_UNKNOWN");
  }

  @Test
  void putManifest_sameTagNewManifest_tagMoves() {
    String name = "manifest/retag";
    ManifestJson m1 = ociImage(name);
    ManifestJson m2 = ociImage(name);
    http.pushManifest(name, "latest", m1);

    http.pushManifest(name, "latest", m2);

    assertManifest(http.get("/v2/" + name + "/manifests/latest"), m2);
    assertManifest(http.get("/v2/" + name + "/manifests/" + m1.digest()), m1);
  }

  @Test
  void putManifest_emptyLayersUnknownFieldsAndData_accepted() {
    String name = "manifest/no-layers";
    byte[] config = "{}".getBytes(UTF_8);
    Digest c = http.pushBlob(name, config);
    Map<String, Object> configDescriptor = ManifestJson.descriptor(MediaTypes.OCI_EMPTY, c, 2);
    configDescriptor.put("data", "e30=");
    ManifestJson m = ManifestJson.oci().field("config", configDescriptor).field("layers", List.of())
        .field("unknownField", Map.of("nested", true)).artifactType("application/vnd.example+type");

    Resp r = http.pushManifest(name, "no-layers", m);

    assertThat(r.header("Docker-Content-Digest")).isEqualTo(m.digest().value());
    assertManifest(http.get("/v2/" + name + "/manifests/no-layers"), m);
  }

  @Test
  void putManifest_withoutMediaTypeField_typeFromContentType() {
    String name = "manifest/no-media-type";
    ManifestJson m = ociImage(name).without("mediaType");

    http.pushManifest(name, "v1", m);

    assertManifest(http.get("/v2/" + name + "/manifests/v1"), m);
  }

  @Test
  void putIndex_childrenPushedFirst_201AndServedAsIndex() {
    String name = "manifest/index";
    ManifestJson amd64 = ociImage(name);
    ManifestJson arm64 = ociImage(name);
    http.pushManifest(name, amd64.digest().value(), amd64);
    http.pushManifest(name, arm64.digest().value(), arm64);
    Map<String, Object> a = amd64.descriptor();
    a.put("platform", Map.of("architecture", "amd64", "os", "linux"));
    Map<String, Object> b = arm64.descriptor();
    b.put("platform", Map.of("architecture", "arm64", "os", "linux"));
    ManifestJson index = ManifestJson.ociIndex().child(a).child(b);

    Resp r = http.pushManifest(name, "multi", index);

    assertThat(r.header("Docker-Content-Digest")).isEqualTo(index.digest().value());
    assertManifest(http.get("/v2/" + name + "/manifests/multi"), index);
    assertHead(http.head("/v2/" + name + "/manifests/" + index.digest()), index);
  }

  @Test
  void putDockerManifestAndList_schema2Types_servedWithTheirTypes() {
    String name = "manifest/docker";
    byte[] config = "{\"os\":\"linux\",\"architecture\":\"amd64\"}".getBytes(UTF_8);
    byte[] layer = randomBlob(200);
    http.pushBlob(name, config);
    Digest l = http.pushBlob(name, layer);
    Map<String, Object> foreign = ManifestJson.descriptor("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        RegistryHttp.unknownDigest(), 1234);
    foreign.put("urls", List.of("https://example.com/layer.tar.gz"));
    ManifestJson image = ManifestJson.docker().config(MediaTypes.DOCKER_CONFIG, config)
        .field("layers", List.of(ManifestJson.descriptor(MediaTypes.DOCKER_LAYER, l, layer.length), foreign));
    http.pushManifest(name, "amd64", image);
    Map<String, Object> child = image.descriptor();
    child.put("platform", Map.of("architecture", "amd64", "os", "linux"));
    ManifestJson list = ManifestJson.dockerList().child(child);

    http.pushManifest(name, "latest", list);

    assertManifest(http.get("/v2/" + name + "/manifests/amd64"), image);
    assertManifest(http.get("/v2/" + name + "/manifests/latest"), list);
    assertHead(http.head("/v2/" + name + "/manifests/latest",
        "Accept", MediaTypes.DOCKER_MANIFEST_LIST + ", " + MediaTypes.DOCKER_MANIFEST), list);
  }

  @Test
  void deleteManifest_byDigest_202ThenGoneWithItsTags() {
    String name = "manifest/delete-digest";
    ManifestJson keep = http.pushImage(name, "keep", 1);
    ManifestJson m = ociImage(name);
    http.pushManifest(name, "a", m);
    http.pushManifest(name, "b", m);

    Resp r = http.delete("/v2/" + name + "/manifests/" + m.digest());

    assertThat(r.status()).as("%s", r).isEqualTo(202);
    assertError(http.get("/v2/" + name + "/manifests/" + m.digest()), 404, "MANIFEST_UNKNOWN");
    assertError(http.get("/v2/" + name + "/manifests/a"), 404, "MANIFEST_UNKNOWN");
    assertError(http.get("/v2/" + name + "/manifests/b"), 404, "MANIFEST_UNKNOWN");
    assertThat(http.head("/v2/" + name + "/manifests/a").status()).isEqualTo(404);
    Resp tags = http.get("/v2/" + name + "/tags/list");
    assertThat(tags.json().get("tags").valueStream().map(t -> t.asString()).toList()).containsExactly("keep");
    assertManifest(http.get("/v2/" + name + "/manifests/keep"), keep);
    assertError(http.delete("/v2/" + name + "/manifests/" + m.digest()), 404, "MANIFEST_UNKNOWN");
  }

  @Test
  void deleteManifest_byTag_202TagGoneManifestStays() {
    String name = "manifest/delete-tag";
    ManifestJson m = http.pushImage(name, "old", 1);
    http.pushManifest(name, "other", m);

    Resp r = http.delete("/v2/" + name + "/manifests/old");

    assertThat(r.status()).as("%s", r).isEqualTo(202);
    assertError(http.get("/v2/" + name + "/manifests/old"), 404, "MANIFEST_UNKNOWN");
    assertManifest(http.get("/v2/" + name + "/manifests/" + m.digest()), m);
    assertManifest(http.get("/v2/" + name + "/manifests/other"), m);
    assertError(http.delete("/v2/" + name + "/manifests/old"), 404, "MANIFEST_UNKNOWN");
  }

  @Test
  void deleteManifest_thenBlobsDeleted_bothSucceed() {
    String name = "manifest/delete-order";
    ManifestJson m = ociImage(name);
    http.pushManifest(name, "v1", m);
    Digest layer = m.layer(0);

    assertThat(http.delete("/v2/" + name + "/blobs/" + layer).status()).isEqualTo(202);
    assertThat(http.delete("/v2/" + name + "/manifests/" + m.digest()).status()).isEqualTo(202);
    assertThat(http.get("/v2/" + name + "/manifests/v1").status()).isEqualTo(404);
  }

  @Test
  void getManifest_pushedToOtherImage_404() {
    String name = "manifest/owner";
    ManifestJson m = http.pushImage(name, "v1", 1);

    assertError(http.get("/v2/manifest/stranger/manifests/" + m.digest()), 404, "MANIFEST_UNKNOWN");
  }
}
