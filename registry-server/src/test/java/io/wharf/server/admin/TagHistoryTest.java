package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.basic;
import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.json;
import static io.wharf.server.admin.ManagementHttp.pushImage;
import static io.wharf.server.admin.ManagementHttp.send;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Tag history and restore over HTTP: a tag pushed twice remembers both manifests with who and
 * when; a restore points it back in one step (pulls get the old image), is recorded, and is an
 * event; who may read and who may restore; bad input names the field.
 */
class TagHistoryTest {
  static {
    ManagementHttp.quietLogs();
  }

  @TempDir Path dir;
  String hash;

  @BeforeEach
  void hash() {
    hash = PasswordHashes.hash("pw".toCharArray(), 4);
  }

  private WharfServer start() throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA, maintenance: {grace: 0s, deleteUntagged: true}}
        security:
          realms: [basic]
          users:
            - {name: alice, passwordHash: "HASH", roles: [writers]}
            - {name: bob, passwordHash: "HASH", roles: [readers]}
          roles:
            - {name: writers, privileges: ["*:*"]}
            - {name: readers, privileges: ["*:read"]}
        repositories:
          - {name: hosted, type: hosted}
          - {name: once, type: hosted, writePolicy: allow_once}
        """.replace("DATA", dir.resolve("data").toString()).replace("HASH", hash);
    return WharfServer.start(ConfigLoader.parse(yaml, "history.yaml"));
  }

  private static byte[] body(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aTagPushedTwice_isRestoredToItsFirstManifest_andThatIsRecorded() throws Exception {
    try (WharfServer server = start()) {
      URI base = server.url();
      String[] alice = basic("alice", "pw");
      ManagementHttp.Image first = pushImage(base, "hosted/app", "1", 100, alice);
      ManagementHttp.Image second = pushImage(base, "hosted/app", "1", 100, alice);
      String history = "/wharf/api/v1/repositories/hosted/history?image=app&tag=1";

      JsonNode h = json(get(base, history, basic("bob", "pw")));
      assertThat(h.get("current").asString()).isEqualTo(second.manifestDigest().value());
      assertThat(h.get("revisions")).extracting(r -> r.get("action").asString() + " " + r.get("digest").asString()
          + " " + r.get("actor").asString()).containsExactly(
          "push " + second.manifestDigest() + " alice", "push " + first.manifestDigest() + " alice");

      // a maintenance run in between (deleteUntagged, grace 0s) keeps what the history names (here the
      // revision is also young; GarbageCollectorContract shows the history alone keeps it, and its window)
      HttpResponse<byte[]> gc = send(base, "POST", "/wharf/api/v1/maintenance/default?wait=true", new byte[0], alice);
      assertThat(gc.statusCode()).as(text(gc)).isEqualTo(200);
      assertThat(get(base, "/v2/hosted/app/manifests/" + first.manifestDigest(), alice).statusCode()).isEqualTo(200);

      HttpResponse<byte[]> restored = send(base, "POST", "/wharf/api/v1/repositories/hosted/history/restore",
          body("{\"image\":\"app\",\"tag\":\"1\",\"digest\":\"" + first.manifestDigest() + "\"}"), alice);
      assertThat(restored.statusCode()).as(text(restored)).isEqualTo(200);
      JsonNode after = json(restored);
      assertThat(after.get("current").asString()).isEqualTo(first.manifestDigest().value());
      assertThat(after.get("revisions").get(0).get("action").asString()).isEqualTo("restore");
      assertThat(after.get("revisions").get(0).get("actor").asString()).isEqualTo("alice");

      HttpResponse<byte[]> pulled = get(base, "/v2/hosted/app/manifests/1", concat(alice, "Accept", MediaTypes.OCI_MANIFEST));
      assertThat(pulled.headers().firstValue("Docker-Content-Digest")).hasValue(first.manifestDigest().value());
      assertThat(pulled.body()).isEqualTo(first.manifest());
      // the restore moved the tag: the audit trail (and webhooks) see a push by alice
      JsonNode audit = json(get(base, "/wharf/api/v1/events?image=app&action=push", alice)).get("items");
      assertThat(audit.get(0).get("digest").asString()).isEqualTo(first.manifestDigest().value());
      assertThat(audit.get(0).get("actor").get("name").asString()).isEqualTo("alice");
    }
  }

  @Test
  void restore_isRefusedToReaders_underAllowOnce_andForBadInput() throws Exception {
    try (WharfServer server = start()) {
      URI base = server.url();
      String[] alice = basic("alice", "pw");
      ManagementHttp.Image first = pushImage(base, "once/app", "1", 10, alice);
      String restore = "/wharf/api/v1/repositories/once/history/restore";
      String ok = "{\"image\":\"app\",\"tag\":\"1\",\"digest\":\"" + first.manifestDigest() + "\"}";

      assertThat(send(base, "POST", restore, body(ok), basic("bob", "pw")).statusCode()).isEqualTo(403);
      // anonymous may not read the repository: it does not exist for them
      assertThat(send(base, "POST", restore, body(ok)).statusCode()).isEqualTo(404);
      assertThat(get(base, "/wharf/api/v1/repositories/nope/history?image=app&tag=1", alice).statusCode())
          .isEqualTo(404);

      ManagementHttp.Image other = pushImage(base, "once/app", "2", 10, alice);
      HttpResponse<byte[]> once = send(base, "POST", restore,
          body("{\"image\":\"app\",\"tag\":\"1\",\"digest\":\"" + other.manifestDigest() + "\"}"), alice);
      assertThat(once.statusCode()).as(text(once)).isEqualTo(409);
      assertThat(json(once).get("message").asString()).contains("only once");

      for (String[] bad : new String[][] {
          {"{\"image\":\"UPPER\",\"tag\":\"1\",\"digest\":\"" + first.manifestDigest() + "\"}", "image"},
          {"{\"image\":\"app\",\"tag\":\"-x\",\"digest\":\"" + first.manifestDigest() + "\"}", "tag"},
          {"{\"image\":\"app\",\"tag\":\"1\",\"digest\":\"md5:abc\"}", "digest"},
          {"{\"image\":\"app\",\"tag\":\"1\"}", "digest"}}) {
        HttpResponse<byte[]> r = send(base, "POST", restore, body(bad[0]), alice);
        assertThat(r.statusCode()).as(bad[0]).isEqualTo(400);
        assertThat(json(r).get("fields").get(0).get("id").asString()).isEqualTo(bad[1]);
      }
      HttpResponse<byte[]> notJson = send(base, "POST", restore, body("{nope"), alice);
      assertThat(notJson.statusCode()).isEqualTo(400);
      assertThat(json(notJson).get("message").asString()).contains("not valid JSON");
      HttpResponse<byte[]> unknown = send(base, "POST", restore,
          body("{\"image\":\"app\",\"tag\":\"1\",\"digest\":\"sha256:" + "0".repeat(64) + "\"}"), alice);
      assertThat(unknown.statusCode()).as(text(unknown)).isEqualTo(404);
      assertThat(get(base, "/wharf/api/v1/repositories/once/history?image=app", alice).statusCode()).isEqualTo(400);
    }
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
