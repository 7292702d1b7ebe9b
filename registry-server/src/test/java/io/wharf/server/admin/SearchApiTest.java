package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.ANONYMOUS;
import static io.wharf.server.admin.ManagementHttp.assertNexusError;
import static io.wharf.server.admin.ManagementHttp.basic;
import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.json;
import static io.wharf.server.admin.ManagementHttp.pushImage;
import static io.wharf.server.admin.ManagementHttp.send;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Search and browse over real HTTP against a secured server: Nexus's search, components and
 * assets endpoints (paging, sorting, wildcards, ids, deletes, permission filtering, bad input) and
 * Wharf's image detail and tag listing, plus the request sequences of Harness and nexus-cli-style
 * cleanup scripts.
 *
 * <pre>
 * users (password: NAME-pw)  admin: *:* ; reader: read on private ; deleter: read+delete on scratch
 * docker-hosted  hosted, anonymousPull: team/app 1.0..1.9 + latest (= 1.9), team/tool 0.1, base 3.18
 * private        hosted: secret/app v1
 * scratch        hosted: the cleanup replay's
 * </pre>
 */
class SearchApiTest {
  static {
    ManagementHttp.quietLogs();
  }

  static final String REST = "/service/rest";
  static final String API = "/wharf/api/v1";
  static final String[] ADMIN = basic("admin", "admin-pw");
  static final String[] READER = basic("reader", "reader-pw");
  static final String[] DELETER = basic("deleter", "deleter-pw");

  @TempDir static Path dir;
  static WharfServer server;
  static URI base;
  static Digest latest;

  @BeforeAll
  static void start() throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA}
        security:
          users:
            - {name: admin, passwordHash: "ADMIN", roles: [admins]}
            - {name: reader, passwordHash: "READER", roles: [readers]}
            - {name: deleter, passwordHash: "DELETER", roles: [deleters]}
          roles:
            - {name: admins, privileges: ["*:*"]}
            - {name: readers, privileges: ["private:read"]}
            - {name: deleters, privileges: ["scratch:read", "scratch:delete"]}
        repositories:
          - {name: docker-hosted, type: hosted, anonymousPull: true}
          - {name: private, type: hosted}
          - {name: scratch, type: hosted}
        """.replace("DATA", dir.resolve("data").toString())
        .replace("ADMIN", PasswordHashes.hash("admin-pw".toCharArray(), 4))
        .replace("READER", PasswordHashes.hash("reader-pw".toCharArray(), 4))
        .replace("DELETER", PasswordHashes.hash("deleter-pw".toCharArray(), 4));
    server = WharfServer.start(ConfigLoader.parse(yaml, "search-test.yaml"));
    base = server.url();
    for (int i = 0; i <= 9; i++) {
      ManagementHttp.Image img = pushImage(base, "docker-hosted/team/app", "1." + i, 64, ADMIN);
      if (i == 9) {
        latest = img.manifestDigest();
        put("docker-hosted/team/app", "latest", img.manifest(), MediaTypes.OCI_MANIFEST);
      }
    }
    pushImage(base, "docker-hosted/team/tool", "0.1", 32, ADMIN);
    pushImage(base, "docker-hosted/base", "3.18", 32, ADMIN);
    pushImage(base, "private/secret/app", "v1", 32, ADMIN);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static void put(String name, String tag, byte[] manifest, String type) {
    HttpResponse<byte[]> r = send(base, "PUT", "/v2/" + name + "/manifests/" + tag, manifest,
        concat(ADMIN, "Content-Type", type));
    assertThat(r.statusCode()).as("manifest push: %s", text(r)).isEqualTo(201);
  }

  static String[] concat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static HttpResponse<byte[]> rest(String path, String... credentials) {
    return get(base, REST + path, credentials);
  }

  static JsonNode ok(HttpResponse<byte[]> r) {
    assertThat(r.statusCode()).as("status of %s", text(r)).isEqualTo(200);
    return json(r);
  }

  static List<String> versions(JsonNode page) {
    List<String> out = new ArrayList<>();
    page.path("items").forEach(c -> out.add(c.path("name").asString() + ":" + c.path("version").asString()));
    return out;
  }

  // ---------------------------------------------------------------- search

  @Test
  void search_byName_findsEveryTagInNexusDockerShape() {
    JsonNode page = ok(rest("/v1/search?repository=docker-hosted&name=team/app&format=docker", ANONYMOUS));
    assertThat(page.path("items")).hasSize(11);
    assertThat(page.path("continuationToken").isNull()).isTrue();
    JsonNode c = page.path("items").get(0);
    assertThat(c.path("repository").asString()).isEqualTo("docker-hosted");
    assertThat(c.path("format").asString()).isEqualTo("docker");
    assertThat(c.path("group").asString()).isEmpty();
    assertThat(c.path("name").asString()).isEqualTo("team/app");
    assertThat(c.path("version").asString()).isEqualTo("1.0");
    assertThat(c.path("id").asString()).matches("[A-Za-z0-9_-]+");
    JsonNode a = c.path("assets").get(0);
    assertThat(a.path("path").asString()).isEqualTo("/v2/team/app/manifests/1.0");
    assertThat(a.path("downloadUrl").asString()).isEqualTo(base + "/repository/docker-hosted/v2/team/app/manifests/1.0");
    assertThat(a.path("contentType").asString()).isEqualTo(MediaTypes.OCI_MANIFEST);
    assertThat(a.path("checksum").path("sha256").asString()).hasSize(64);
    assertThat(a.path("docker").path("content_digest").asString()).isEqualTo("sha256:" + a.path("checksum").path("sha256").asString());
    assertThat(a.path("docker").path("os").asString()).isEqualTo("linux");
    assertThat(a.path("docker").path("architecture").asString()).isEqualTo("amd64");
    assertThat(a.path("fileSize").asLong()).isPositive();
    assertThat(a.path("lastModified").asString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\+00:00");
    assertThat(a.has("lastDownloaded")).isTrue();
    assertThat(a.path("blobStoreName").asString()).isEqualTo("default");
    // unlike Nexus: the image's total size in bytes and its platforms
    assertThat(c.path("wharf").path("totalSize").asLong()).isGreaterThan(64 + a.path("fileSize").asLong());
    assertThat(c.path("wharf").path("platforms").get(0).asString()).isEqualTo("linux/amd64");
  }

  @Test
  void search_byDigestVersionAndKeyword() {
    JsonNode byDigest = ok(rest("/v1/search?docker.contentDigest=" + latest, ADMIN));
    assertThat(versions(byDigest)).containsExactly("team/app:1.9", "team/app:latest");
    JsonNode bySha = ok(rest("/v1/search?sha256=" + latest.hex(), ADMIN));
    assertThat(versions(bySha)).containsExactly("team/app:1.9", "team/app:latest");
    JsonNode byTag = ok(rest("/v1/search?docker.imageName=team/app&docker.imageTag=1.3", ADMIN));
    assertThat(versions(byTag)).containsExactly("team/app:1.3");
    JsonNode keyword = ok(rest("/v1/search?q=tool", ADMIN));
    assertThat(versions(keyword)).containsExactly("team/tool:0.1");
    assertThat(ok(rest("/v1/search?format=maven2", ADMIN)).path("items")).isEmpty();
    assertThat(ok(rest("/v1/search?group=org.example", ADMIN)).path("items")).isEmpty();
  }

  @Test
  void search_trailingWildcard_needsThreeCharacters() {
    JsonNode prefix = ok(rest("/v1/search?name=team/*", ADMIN));
    assertThat(versions(prefix)).hasSize(12).allMatch(v -> v.startsWith("team/"));
    assertThat(versions(ok(rest("/v1/search?name=team/app&version=1.1*", ADMIN)))).containsExactly("team/app:1.1");
    assertThat(versions(ok(rest("/v1/search?name=team/app&version=lat*", ADMIN)))).containsExactly("team/app:latest");

    HttpResponse<byte[]> tooShort = rest("/v1/search?name=te*", ADMIN);
    assertThat(tooShort.statusCode()).isEqualTo(400);
    assertThat(json(tooShort).get(0).path("id").asString()).isEqualTo("PARAMETER name");
    assertThat(json(tooShort).get(0).path("message").asString()).contains("3 characters");
    assertThat(rest("/v1/search?name=*app", ADMIN).statusCode()).isEqualTo(400);
  }

  @Test
  void search_permissionFiltering_neverShowsUnreadableRepositories() {
    assertThat(versions(ok(rest("/v1/search?name=secret/app", ANONYMOUS)))).isEmpty();
    assertThat(versions(ok(rest("/v1/search?name=secret/app", READER)))).containsExactly("secret/app:v1");
    assertThat(versions(ok(rest("/v1/search?name=secret/app", ADMIN)))).containsExactly("secret/app:v1");
    // naming an unreadable repository is "not found", as for the repositories endpoints
    assertNexusError(rest("/v1/search?repository=private", ANONYMOUS), 404, "NOT_FOUND");
    assertNexusError(rest("/v1/components?repository=private", ANONYMOUS), 404, "NOT_FOUND");
    assertThat(versions(ok(rest("/v1/search?q=app", ANONYMOUS)))).noneMatch(v -> v.startsWith("secret/"));
  }

  @Test
  void search_badSortDirectionAndToken_are400NamingTheParameter() {
    HttpResponse<byte[]> sort = rest("/v1/search?sort=size", ADMIN);
    assertThat(sort.statusCode()).isEqualTo(400);
    assertThat(json(sort).get(0).path("id").asString()).isEqualTo("PARAMETER sort");
    HttpResponse<byte[]> direction = rest("/v1/search?sort=name&direction=up", ADMIN);
    assertThat(direction.statusCode()).isEqualTo(400);
    assertThat(json(direction).get(0).path("id").asString()).isEqualTo("PARAMETER direction");
    HttpResponse<byte[]> token = rest("/v1/search?continuationToken=!!not-a-token", ADMIN);
    assertThat(token.statusCode()).isEqualTo(400);
    assertThat(json(token).get(0).path("id").asString()).isEqualTo("PARAMETER continuationToken");
    assertThat(rest("/v1/components?repository=docker-hosted&continuationToken=bzEw", ADMIN).statusCode())
        .as("an offset token where a key token belongs").isEqualTo(400);
  }

  /** Harness's Nexus 3 connector: search by repository and image, newest version first, page by page. */
  @Test
  void harnessSequence_sortVersionDescending_pagesThroughEveryTag() {
    for (int i = 0; i < 60; i++) {
      pushImage(base, "docker-hosted/paged", String.format("v%03d", i), 16, ADMIN);
    }
    List<String> seen = new ArrayList<>();
    String token = null;
    int pages = 0;
    do {
      JsonNode page = ok(rest("/v1/search?repository=docker-hosted&name=paged&format=docker&sort=version&direction=desc"
          + (token == null ? "" : "&continuationToken=" + token), ADMIN));
      page.path("items").forEach(c -> seen.add(c.path("version").asString()));
      token = page.path("continuationToken").isNull() ? null : page.path("continuationToken").asString();
      pages++;
    } while (token != null);
    assertThat(pages).isEqualTo(2);
    assertThat(seen).hasSize(60).first().isEqualTo("v059");
    assertThat(seen).last().isEqualTo("v000");
    assertThat(seen).isSortedAccordingTo(java.util.Comparator.reverseOrder());
    JsonNode byName = ok(rest("/v1/search?name=paged&sort=name&direction=asc", ADMIN));
    assertThat(byName.path("items")).hasSize(50);
    assertThat(byName.path("items").get(0).path("version").asString()).isEqualTo("v000");
    JsonNode assets = ok(rest("/v1/search/assets?repository=docker-hosted&name=paged&version=v007", ADMIN));
    assertThat(assets.path("items")).hasSize(1);
    assertThat(assets.path("items").get(0).path("path").asString()).isEqualTo("/v2/paged/manifests/v007");
  }

  // ---------------------------------------------------------------- components and assets

  @Test
  void components_pageByContinuationToken_andRequireRepository() {
    for (int i = 0; i < 130; i++) {
      pushImage(base, "scratch/many", "t" + i, 8, ADMIN);
    }
    List<String> seen = new ArrayList<>();
    String token = null;
    int pages = 0;
    do {
      JsonNode page = ok(rest("/v1/components?repository=scratch"
          + (token == null ? "" : "&continuationToken=" + token), ADMIN));
      assertThat(page.path("items").size()).isLessThanOrEqualTo(100);
      versions(page).forEach(seen::add);
      token = page.path("continuationToken").isNull() ? null : page.path("continuationToken").asString();
      pages++;
    } while (token != null);
    assertThat(pages).isEqualTo(2);
    assertThat(seen).filteredOn(v -> v.startsWith("many:")).hasSize(130).doesNotHaveDuplicates();

    JsonNode assets = ok(rest("/v1/assets?repository=scratch", ADMIN));
    assertThat(assets.path("items")).hasSize(100);
    assertThat(assets.path("continuationToken").isString()).isTrue();

    assertNexusError(rest("/v1/components", ADMIN), 422, "UNPROCESSABLE_ENTITY");
    assertNexusError(rest("/v1/assets", ADMIN), 422, "UNPROCESSABLE_ENTITY");
    assertNexusError(rest("/v1/components?repository=no-such", ADMIN), 404, "NOT_FOUND");
  }

  @Test
  void componentById_getAndBadIds() {
    JsonNode c = ok(rest("/v1/search?name=base", ANONYMOUS)).path("items").get(0);
    String id = c.path("id").asString();
    JsonNode byId = ok(rest("/v1/components/" + id, ANONYMOUS));
    assertThat(byId.path("name").asString()).isEqualTo("base");
    assertThat(byId.path("version").asString()).isEqualTo("3.18");
    String assetId = c.path("assets").get(0).path("id").asString();
    assertThat(ok(rest("/v1/assets/" + assetId, ANONYMOUS)).path("path").asString()).isEqualTo("/v2/base/manifests/3.18");

    assertNexusError(rest("/v1/components/not*an*id", ADMIN), 422, "UNPROCESSABLE_ENTITY");
    assertNexusError(rest("/v1/components/" + assetId, ADMIN), 422, "UNPROCESSABLE_ENTITY");
    assertNexusError(rest("/v1/assets/" + id, ADMIN), 422, "UNPROCESSABLE_ENTITY");
    String gone = new ComponentId(ComponentId.Kind.COMPONENT, "docker-hosted", "base", "9.99").encode();
    assertNexusError(rest("/v1/components/" + gone, ADMIN), 404, "NOT_FOUND");
    String unreadable = ok(rest("/v1/search?name=secret/app", ADMIN)).path("items").get(0).path("id").asString();
    assertNexusError(rest("/v1/components/" + unreadable, ANONYMOUS), 404, "NOT_FOUND");
    assertNexusError(send(base, "DELETE", REST + "/v1/components/" + unreadable, null, READER), 403, "FORBIDDEN");
    assertNexusError(send(base, "DELETE", REST + "/v1/components/" + id, null, ANONYMOUS), 401, "UNAUTHORIZED");
  }

  /** A nexus-cli-style cleanup: list a repository's components page by page, delete the ones to go. */
  @Test
  void cleanupSequence_componentsLoopAndDelete_removesThoseTagsOnly() {
    ManagementHttp.Image keep = pushImage(base, "scratch/cleanup", "keep", 16, ADMIN);
    put("scratch/cleanup", "also", keep.manifest(), MediaTypes.OCI_MANIFEST);
    for (int i = 0; i < 5; i++) {
      pushImage(base, "scratch/cleanup", "old-" + i, 16, ADMIN);
    }
    int deleted = 0;
    String token = null;
    do {
      JsonNode page = ok(rest("/v1/components?repository=scratch"
          + (token == null ? "" : "&continuationToken=" + token), DELETER));
      for (JsonNode c : page.path("items")) {
        if (c.path("name").asString().equals("cleanup") && c.path("version").asString().startsWith("old-")) {
          HttpResponse<byte[]> d = send(base, "DELETE", REST + "/v1/components/" + c.path("id").asString(), null,
              DELETER);
          assertThat(d.statusCode()).as(text(d)).isEqualTo(204);
          deleted++;
        }
      }
      token = page.path("continuationToken").isNull() ? null : page.path("continuationToken").asString();
    } while (token != null);
    assertThat(deleted).isEqualTo(5);
    assertThat(versions(ok(rest("/v1/search?repository=scratch&name=cleanup", DELETER))))
        .containsExactly("cleanup:also", "cleanup:keep");
    assertThat(get(base, "/v2/scratch/cleanup/manifests/old-1", DELETER).statusCode()).isEqualTo(404);
    assertThat(get(base, "/v2/scratch/cleanup/manifests/keep", DELETER).statusCode()).isEqualTo(200);

    // deleting the manifest asset deletes the manifest by digest: both tags go
    String asset = ok(rest("/v1/search?repository=scratch&name=cleanup&version=keep", DELETER))
        .path("items").get(0).path("assets").get(0).path("id").asString();
    assertThat(send(base, "DELETE", REST + "/v1/assets/" + asset, null, DELETER).statusCode()).isEqualTo(204);
    assertThat(versions(ok(rest("/v1/search?repository=scratch&name=cleanup", DELETER)))).isEmpty();
    assertThat(get(base, "/v2/scratch/cleanup/manifests/" + keep.manifestDigest(), DELETER).statusCode())
        .isEqualTo(404);
    assertNexusError(send(base, "DELETE", REST + "/v1/assets/" + asset, null, DELETER), 404, "NOT_FOUND");
  }

  // ---------------------------------------------------------------- Wharf: images, tags, detail

  @Test
  void imageDetail_ofATag_showsLayersConfigSizesAndSharedTags() {
    JsonNode d = ok(get(base, API + "/repositories/docker-hosted/images/team/app/manifests/latest", ANONYMOUS));
    assertThat(d.path("digest").asString()).isEqualTo(latest.value());
    assertThat(d.path("mediaType").asString()).isEqualTo(MediaTypes.OCI_MANIFEST);
    assertThat(d.path("tags")).extracting(JsonNode::asString).containsExactly("1.9", "latest");
    assertThat(d.path("layers")).hasSize(1);
    assertThat(d.path("layers").get(0).path("size").asLong()).isEqualTo(64);
    assertThat(d.path("compressedSize").asLong()).isEqualTo(64);
    assertThat(d.path("totalSize").asLong()).isEqualTo(d.path("size").asLong() + 64 + d.path("config").path("size").asLong());
    assertThat(d.path("config").path("os").asString()).isEqualTo("linux");
    assertThat(d.path("config").path("architecture").asString()).isEqualTo("amd64");
    assertThat(d.path("referrers")).isEmpty();
    JsonNode byDigest = ok(get(base, API + "/repositories/docker-hosted/images/team/app/manifests/" + latest, ANONYMOUS));
    assertThat(byDigest.path("digest").asString()).isEqualTo(latest.value());
  }

  @Test
  void imageDetail_ofAnIndex_showsPlatformsAndReferrers() {
    ManagementHttp.Image amd = pushImage(base, "docker-hosted/multi", "amd64", 40, ADMIN);
    ManagementHttp.Image arm = pushImage(base, "docker-hosted/multi", "arm64", 50, ADMIN);
    String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
        + child(amd, "amd64") + "," + child(arm, "arm64") + "]}";
    byte[] indexBytes = index.getBytes(StandardCharsets.UTF_8);
    put("docker-hosted/multi", "1.0", indexBytes, MediaTypes.OCI_INDEX);
    Digest indexDigest = Digest.sha256(indexBytes);
    // a signature-like referrer of the index (empty config, artifactType)
    byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
    HttpResponse<byte[]> blob = send(base, "POST", "/v2/docker-hosted/multi/blobs/uploads/?digest=" + Digest.sha256(empty),
        empty, concat(ADMIN, "Content-Type", MediaTypes.OCTET_STREAM));
    assertThat(blob.statusCode()).isEqualTo(201);
    String sig = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"artifactType\":"
        + "\"application/vnd.dev.cosign.artifact.sig.v1+json\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_EMPTY
        + "\",\"digest\":\"" + Digest.sha256(empty) + "\",\"size\":2},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_EMPTY
        + "\",\"digest\":\"" + Digest.sha256(empty) + "\",\"size\":2}],\"subject\":{\"mediaType\":\"" + MediaTypes.OCI_INDEX
        + "\",\"digest\":\"" + indexDigest + "\",\"size\":" + indexBytes.length + "}}";
    byte[] sigBytes = sig.getBytes(StandardCharsets.UTF_8);
    put("docker-hosted/multi", Digest.sha256(sigBytes).value(), sigBytes, MediaTypes.OCI_MANIFEST);

    JsonNode d = ok(get(base, API + "/repositories/docker-hosted/images/multi/manifests/1.0", ANONYMOUS));
    assertThat(d.path("mediaType").asString()).isEqualTo(MediaTypes.OCI_INDEX);
    assertThat(d.path("platforms")).hasSize(2);
    assertThat(d.path("platforms").get(1).path("architecture").asString()).isEqualTo("arm64");
    assertThat(d.path("platforms").get(1).path("digest").asString()).isEqualTo(arm.manifestDigest().value());
    assertThat(d.path("platforms").get(1).path("totalSize").asLong()).isGreaterThan(50);
    assertThat(d.path("compressedSize").asLong()).isEqualTo(90);
    assertThat(d.path("referrers")).hasSize(1);
    assertThat(d.path("referrers").get(0).path("kind").asString()).isEqualTo("signature");
    assertThat(d.path("referrers").get(0).path("digest").asString()).isEqualTo(Digest.sha256(sigBytes).value());

    JsonNode search = ok(rest("/v1/search?name=multi&version=1.0", ANONYMOUS)).path("items").get(0);
    assertThat(search.path("wharf").path("platforms")).extracting(JsonNode::asString)
        .containsExactly("linux/amd64", "linux/arm64");

    JsonNode untagged = ok(get(base, API + "/repositories/docker-hosted/images/multi/tags?filter=untagged", ANONYMOUS));
    assertThat(untagged.path("items")).as("index children and referrers are parts, not untagged images").isEmpty();
  }

  private static String child(ManagementHttp.Image img, String arch) {
    return "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + img.manifestDigest() + "\",\"size\":"
        + img.manifest().length + ",\"platform\":{\"os\":\"linux\",\"architecture\":\"" + arch + "\"}}";
  }

  @Test
  void tagListing_sortsFiltersAndPages() {
    JsonNode byName = ok(get(base, API + "/repositories/docker-hosted/images/team/app/tags?limit=4", ANONYMOUS));
    assertThat(byName.path("items")).extracting(t -> t.path("tag").asString()).containsExactly("1.0", "1.1", "1.2", "1.3");
    JsonNode next = ok(get(base, API + "/repositories/docker-hosted/images/team/app/tags?limit=4&continuationToken="
        + byName.path("continuationToken").asString(), ANONYMOUS));
    assertThat(next.path("items").get(0).path("tag").asString()).isEqualTo("1.4");
    JsonNode pushed = ok(get(base, API + "/repositories/docker-hosted/images/team/app/tags?sort=pushed&direction=desc",
        ANONYMOUS));
    assertThat(pushed.path("items").get(0).path("tag").asString()).isIn("latest", "1.9");
    assertThat(pushed.path("items").get(0).path("size").asLong()).isPositive();
    assertThat(pushed.path("items").get(0).path("platforms").get(0).asString()).isEqualTo("linux/amd64");
    JsonNode filtered = ok(get(base, API + "/repositories/docker-hosted/images/team/app/tags?name=LAT", ANONYMOUS));
    assertThat(filtered.path("items")).extracting(t -> t.path("tag").asString()).containsExactly("latest");
    JsonNode bySize = ok(get(base, API + "/repositories/docker-hosted/images/team/app/tags?sort=size", ANONYMOUS));
    assertThat(bySize.path("items")).hasSize(11);

    JsonNode images = ok(get(base, API + "/repositories/docker-hosted/images?name=team/", ANONYMOUS));
    assertThat(images.path("items")).extracting(i -> i.path("name").asString()).containsExactly("team/app", "team/tool");
    assertThat(images.path("items").get(0).path("tags").asInt()).isEqualTo(11);

    HttpResponse<byte[]> badSort = get(base, API + "/repositories/docker-hosted/images/team/app/tags?sort=colour", ANONYMOUS);
    assertThat(badSort.statusCode()).isEqualTo(400);
    assertThat(json(badSort).path("fields").get(0).path("id").asString()).isEqualTo("sort");
    assertThat(get(base, API + "/repositories/docker-hosted/images/team/app/tags?limit=-1", ANONYMOUS).statusCode())
        .isEqualTo(400);
    assertThat(get(base, API + "/repositories/docker-hosted/images/no/such/tags", ANONYMOUS).statusCode()).isEqualTo(404);
    assertThat(get(base, API + "/repositories/docker-hosted/images/team/app/manifests/nope", ANONYMOUS).statusCode())
        .isEqualTo(404);
    assertThat(get(base, API + "/repositories/docker-hosted/images/team/app/manifests/sha256:zz", ANONYMOUS).statusCode())
        .isEqualTo(400);
    assertThat(get(base, API + "/repositories/private/images/secret/app/manifests/v1", ANONYMOUS).statusCode())
        .isEqualTo(404);
    assertThat(get(base, API + "/repositories/private/images/secret/app/manifests/v1", READER).statusCode())
        .isEqualTo(200);
  }
}
