package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.HostedRepository;
import io.wharf.server.http.RegistryHttp.ManifestJson;
import io.wharf.server.http.RegistryHttp.Resp;
import io.wharf.storage.memory.InMemoryDriver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code GET /v2/<name>/tags/list} with the conformance suite's tags and pagination (API-NOTES 6). */
class TagListTest {
  private static final String NAME = "tags/suite";
  /** What the suite pushes, in push order. */
  private static final List<String> SUITE_TAGS =
      List.of("test0", "test1", "test2", "test3", "TEST0", "TEST1", "TEST2", "TEST3");
  /** ASCIIbetical: upper case first. */
  private static final List<String> SORTED =
      List.of("TEST0", "TEST1", "TEST2", "TEST3", "test0", "test1", "test2", "test3");
  private static RegistryHttp http;

  @BeforeAll
  static void start() throws Exception {
    http = RegistryHttp.inMemory();
    ManifestJson m = http.pushImage(NAME, SUITE_TAGS.get(0), 1);
    for (String tag : SUITE_TAGS.subList(1, SUITE_TAGS.size())) {
      http.pushManifest(NAME, tag, m);
    }
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  private static List<String> tags(Resp r) {
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    JsonNode body = r.json();
    assertThat(body.get("name").asString()).isEqualTo(NAME);
    return body.get("tags").valueStream().map(JsonNode::asString).toList();
  }

  @Test
  void listTags_all_sortedAsciibeticallyWithoutLink() {
    Resp r = http.get("/v2/" + NAME + "/tags/list");

    assertThat(tags(r)).containsExactlyElementsOf(SORTED);
    assertThat(r.header("Link")).isNull();
    assertThat(r.header("Content-Type")).startsWith("application/json");
  }

  @Test
  void listTags_nFour_exactlyFourAndNextLink() {
    Resp r = http.get("/v2/" + NAME + "/tags/list?n=4");

    assertThat(tags(r)).containsExactlyElementsOf(SORTED.subList(0, 4));
    assertThat(r.header("Link")).isEqualTo("</v2/" + NAME + "/tags/list?n=4&last=TEST3>; rel=\"next\"");
  }

  @Test
  void listTags_nFourAfterFourth_nextFourWithoutFourth() {
    Resp r = http.get("/v2/" + NAME + "/tags/list?n=4&last=" + SORTED.get(3));

    assertThat(tags(r)).containsExactlyElementsOf(SORTED.subList(4, 8)).doesNotContain(SORTED.get(3));
  }

  @Test
  void listTags_followingLinks_visitsEveryTagOnce() {
    String next = "/v2/" + NAME + "/tags/list?n=3";
    List<String> seen = new ArrayList<>();
    int pages = 0;
    while (next != null) {
      Resp r = http.get(next);
      seen.addAll(tags(r));
      String link = r.header("Link");
      next = link == null ? null : link.substring(1, link.indexOf('>'));
      assertThat(++pages).isLessThanOrEqualTo(3);
    }
    assertThat(seen).containsExactlyElementsOf(SORTED);
  }

  @Test
  void listTags_nZero_emptyWithoutLink() {
    Resp r = http.get("/v2/" + NAME + "/tags/list?n=0");

    assertThat(tags(r)).isEmpty();
    assertThat(r.header("Link")).isNull();
  }

  @Test
  void listTags_nLargerThanCount_allWithoutLink() {
    Resp r = http.get("/v2/" + NAME + "/tags/list?n=8");

    assertThat(tags(r)).containsExactlyElementsOf(SORTED);
    assertThat(r.header("Link")).isNull();
  }

  @Test
  void listTags_lastWithoutN_everythingAfter() {
    assertThat(tags(http.get("/v2/" + NAME + "/tags/list?last=test1"))).containsExactly("test2", "test3");
  }

  @Test
  void listTags_lastNotATag_startsAfterItsPosition() {
    assertThat(tags(http.get("/v2/" + NAME + "/tags/list?last=TEST9"))).containsExactlyElementsOf(SORTED.subList(4, 8));
  }

  @Test
  void listTags_lastIsLastTag_empty() {
    Resp r = http.get("/v2/" + NAME + "/tags/list?n=4&last=test3");

    assertThat(tags(r)).isEmpty();
    assertThat(r.header("Link")).isNull();
  }

  @Test
  void listTags_invalidN_400() {
    assertThat(http.get("/v2/" + NAME + "/tags/list?n=-1").status()).isEqualTo(400);
    assertThat(http.get("/v2/" + NAME + "/tags/list?n=abc").status()).isEqualTo(400);
  }

  @Test
  void listTags_unknownImage_404NameUnknown() {
    assertError(http.get("/v2/tags/never-pushed/tags/list"), 404, "NAME_UNKNOWN");
  }

  @Test
  void listTags_nameWithOnlyAnUploadInProgress_404NameUnknown() {
    String name = "tags/upload-only";
    assertThat(http.post("/v2/" + name + "/blobs/uploads/", new byte[0]).status()).isEqualTo(202);

    assertError(http.get("/v2/" + name + "/tags/list"), 404, "NAME_UNKNOWN");
  }

  @Test
  void listTags_nameWithOnlyBlobs_404NameUnknown() {
    String uploaded = "tags/blobs-only";
    Digest blob = http.pushBlob(uploaded, RegistryHttp.randomBlob(64));
    String mounted = "tags/mounted-only";
    assertThat(http.post("/v2/" + mounted + "/blobs/uploads/?mount=" + blob + "&from=" + uploaded, new byte[0])
        .status()).isEqualTo(201);

    assertError(http.get("/v2/" + uploaded + "/tags/list"), 404, "NAME_UNKNOWN");
    assertError(http.get("/v2/" + mounted + "/tags/list"), 404, "NAME_UNKNOWN");
  }

  @Test
  void listTags_parentOfANestedImage_404NameUnknown() {
    http.pushImage("tags/parent/child", "1", 1);

    assertError(http.get("/v2/tags/parent/tags/list"), 404, "NAME_UNKNOWN");
  }

  @Test
  void listTags_throughAGroup_uploadOnlyNameUnknownToEveryMember() throws Exception {
    HostedRepository hosted = HostedRepository.builder("hosted", new InMemoryDriver()).build();
    HostedRepository other = HostedRepository.builder("other", new InMemoryDriver()).build();
    RegistryHttp group = RegistryHttp.start(new GroupRepository("group", List.of(hosted, other), hosted));
    try {
      assertThat(group.post("/v2/team/pending/blobs/uploads/", new byte[0]).status()).isEqualTo(202);
      group.pushBlob("team/blob", RegistryHttp.randomBlob(64));

      assertError(group.get("/v2/team/pending/tags/list"), 404, "NAME_UNKNOWN");
      assertError(group.get("/v2/team/blob/tags/list"), 404, "NAME_UNKNOWN");
      group.pushImage("team/app", "1", 1);
      assertThat(group.get("/v2/team/app/tags/list").json().get("tags").get(0).asString()).isEqualTo("1");
    } finally {
      group.close();
    }
  }

  @Test
  void listTags_afterTagDeleted_tagGone() {
    String name = "tags/deleting";
    ManifestJson m = http.pushImage(name, "a", 1);
    http.pushManifest(name, "b", m);

    assertThat(http.delete("/v2/" + name + "/manifests/a").status()).isEqualTo(202);

    Resp r = http.get("/v2/" + name + "/tags/list");
    assertThat(r.json().get("tags").valueStream().map(JsonNode::asString).toList()).containsExactly("b");
  }

  @Test
  void listTags_imageWithoutTags_emptyArray() {
    String name = "tags/untagged";
    http.pushImage(name, "x", 1);
    http.delete("/v2/" + name + "/manifests/x");

    Resp r = http.get("/v2/" + name + "/tags/list");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("tags").isArray()).isTrue();
    assertThat(r.json().get("tags")).isEmpty();
  }

  @Test
  void listTags_imagePushedByDigestOnly_emptyArray() {
    String name = "tags/by-digest";
    byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
    http.pushBlob(name, config);
    ManifestJson m = ManifestJson.oci().config(MediaTypes.OCI_CONFIG, config);
    http.pushManifest(name, m.digest().toString(), m);

    Resp r = http.get("/v2/" + name + "/tags/list");

    assertThat(r.status()).as("%s", r).isEqualTo(200);
    assertThat(r.json().get("tags")).isEmpty();
  }
}
