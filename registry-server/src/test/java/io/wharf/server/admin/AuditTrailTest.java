package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.basic;
import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.json;
import static io.wharf.server.admin.ManagementHttp.pushImage;
import static io.wharf.server.admin.ManagementHttp.send;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The audit trail at {@code /wharf/api/v1/events}: every push, delete and mount, newest first,
 * filtered and paged; each caller sees the events of the repositories they administer; bad
 * parameters are 400s naming the parameter.
 */
class AuditTrailTest {
  static {
    ManagementHttp.quietLogs();
  }

  private static final String EVENTS = "/wharf/api/v1/events";
  @TempDir Path dir;

  @Test
  void pushesAndDeletes_areListedNewestFirst_filteredAndPaged() throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA}
        """.replace("DATA", dir.resolve("data").toString());
    try (WharfServer server = WharfServer.start(ConfigLoader.parse(yaml, "audit.yaml"))) {
      URI base = server.url();
      pushImage(base, "team/a", "1", 10);
      pushImage(base, "team/b", "1", 10);
      pushImage(base, "team/a", "2", 10);
      assertThat(send(base, "DELETE", "/v2/team/a/manifests/1", null).statusCode()).isEqualTo(202);
      get(base, "/v2/team/a/manifests/2"); // pulls are not kept unless events.audit.pulls

      JsonNode all = json(get(base, EVENTS));
      assertThat(all.get("items")).extracting(e -> e.get("action").asString() + " " + e.get("image").asString() + ":"
          + e.get("tag").asString()).containsExactly("delete team/a:1", "push team/a:2", "push team/b:1",
          "push team/a:1");
      assertThat(all.get("continuationToken").isNull()).isTrue();
      assertThat(all.get("items").get(0).get("actor").get("addr").asString()).isEqualTo("127.0.0.1");

      assertThat(json(get(base, EVENTS + "?image=team/a&action=push")).get("items")).hasSize(2);
      assertThat(json(get(base, EVENTS + "?repository=nope")).get("items")).isEmpty();
      assertThat(json(get(base, EVENTS + "?since=2999-01-01T00:00:00Z")).get("items")).isEmpty();

      // paging: two by two, nothing twice, nothing left out
      List<String> seen = new ArrayList<>();
      String token = null;
      do {
        JsonNode page = json(get(base, EVENTS + "?limit=2" + (token == null ? "" : "&continuationToken=" + token)));
        assertThat(page.get("items").size()).isLessThanOrEqualTo(2);
        page.get("items").forEach(e -> seen.add(e.get("id").asString()));
        token = page.get("continuationToken").isNull() ? null : page.get("continuationToken").asString();
      } while (token != null);
      assertThat(seen).hasSize(4).doesNotHaveDuplicates();

      for (String[] bad : List.of(new String[] {"action=explode", "action"}, new String[] {"since=yesterday", "since"},
          new String[] {"limit=0", "limit"}, new String[] {"continuationToken=..%2Fetc", "continuationToken"})) {
        HttpResponse<byte[]> r = get(base, EVENTS + "?" + bad[0]);
        assertThat(r.statusCode()).as(bad[0]).isEqualTo(400);
        assertThat(json(r).get("fields").get(0).get("id").asString()).isEqualTo(bad[1]);
      }
    }
  }

  @Test
  void eachCaller_seesTheEventsOfTheRepositoriesTheyAdminister() throws Exception {
    String hash = PasswordHashes.hash("pw".toCharArray(), 4);
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA}
        security:
          realms: [basic]
          users:
            - {name: admin, passwordHash: "HASH", roles: [admins]}
            - {name: team, passwordHash: "HASH", roles: [team]}
          roles:
            - {name: admins, privileges: ["*:*"]}
            - {name: team, privileges: ["team:*"]}
        repositories:
          - {name: team, type: hosted}
          - {name: other, type: hosted}
        """.replace("DATA", dir.resolve("data").toString()).replace("HASH", hash);
    try (WharfServer server = WharfServer.start(ConfigLoader.parse(yaml, "audit-security.yaml"))) {
      URI base = server.url();
      String[] admin = basic("admin", "pw");
      pushImage(base, "team/app", "1", 10, admin);
      pushImage(base, "other/app", "1", 10, admin);
      assertThat(json(get(base, EVENTS, admin)).get("items")).hasSize(2);
      JsonNode teamView = json(get(base, EVENTS, basic("team", "pw"))).get("items");
      assertThat(teamView).hasSize(1);
      assertThat(teamView.get(0).get("repository").asString()).isEqualTo("team");
      assertThat(teamView.get(0).get("actor").get("name").asString()).isEqualTo("admin");
      HttpResponse<byte[]> anonymous = get(base, EVENTS);
      assertThat(json(anonymous).get("items")).as(text(anonymous)).isEmpty();
    }
  }
}
