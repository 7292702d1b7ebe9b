package io.wharf.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.http.RegistryHttp.Resp;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code GET /v2/_catalog} with {@code n}, {@code last} and {@code Link} (API-NOTES 11). */
class CatalogTest {
  private static final List<String> IMAGES = List.of("zeta", "alpha", "team/app", "team/app/tools", "team-b/x");
  private static final List<String> SORTED = List.of("alpha", "team-b/x", "team/app", "team/app/tools", "zeta");
  private static RegistryHttp http;

  @BeforeAll
  static void start() throws Exception {
    http = RegistryHttp.inMemory();
    for (String image : IMAGES) {
      http.pushImage(image, "latest", 1);
    }
    // an upload that was started but never finished makes no image
    http.post("/v2/only-upload/blobs/uploads/", new byte[0]);
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  private static List<String> repositories(Resp r) {
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    return r.json().get("repositories").valueStream().map(JsonNode::asString).toList();
  }

  @Test
  void catalog_all_sortedWithoutLink() {
    Resp r = http.get("/v2/_catalog");

    assertThat(repositories(r)).containsExactlyElementsOf(SORTED);
    assertThat(r.header("Link")).isNull();
    assertThat(r.header("Content-Type")).startsWith("application/json");
  }

  @Test
  void catalog_nTwo_firstTwoAndLink() {
    Resp r = http.get("/v2/_catalog?n=2");

    assertThat(repositories(r)).containsExactly("alpha", "team-b/x");
    assertThat(r.header("Link")).isEqualTo("</v2/_catalog?n=2&last=team-b%2Fx>; rel=\"next\"");
  }

  @Test
  void catalog_followingLinks_everyImageOnce() {
    String next = "/v2/_catalog?n=2";
    List<String> seen = new ArrayList<>();
    int pages = 0;
    while (next != null) {
      Resp r = http.get(next);
      seen.addAll(repositories(r));
      String link = r.header("Link");
      next = link == null ? null : link.substring(1, link.indexOf('>'));
      assertThat(++pages).isLessThanOrEqualTo(3);
    }
    assertThat(seen).containsExactlyElementsOf(SORTED);
  }

  @Test
  void catalog_last_startsStrictlyAfter() {
    Resp r = http.get("/v2/_catalog?n=2&last=team/app");

    assertThat(repositories(r)).containsExactly("team/app/tools", "zeta");
    assertThat(r.header("Link")).isNull();
  }

  @Test
  void catalog_nZero_emptyWithoutLink() {
    Resp r = http.get("/v2/_catalog?n=0");

    assertThat(repositories(r)).isEmpty();
    assertThat(r.header("Link")).isNull();
  }

  @Test
  void catalog_invalidN_400() {
    assertThat(http.get("/v2/_catalog?n=-1").status()).isEqualTo(400);
    assertThat(http.get("/v2/_catalog?n=many").status()).isEqualTo(400);
  }
}
