package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.ANONYMOUS;
import static io.wharf.server.admin.ManagementHttp.assertNexusError;
import static io.wharf.server.admin.ManagementHttp.basic;
import static io.wharf.server.admin.ManagementHttp.json;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.WharfConfig;
import java.net.URI;
import java.net.URLEncoder;
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
 * Users, roles, realms and anonymous access through Nexus's REST API, over real HTTP against a
 * secured server: who may (administrators; a user its own password), what a change does to the
 * registry at once (log in, push, refused), bad input (400 naming the field, nothing created),
 * the files' users and roles pinned (409), and no password or hash in any answer.
 *
 * <pre>
 * config file users (password NAME-pw)   root: roles [admins] (*:*); reader: [readers] (docker-hosted:read)
 * repositories                           docker-hosted (anonymousPull), private
 * </pre>
 * Each test makes users and roles of its own names, so the tests do not see each other's.
 */
class SecurityApiTest {
  static {
    ManagementHttp.quietLogs();
  }

  static final String REST = "/service/rest";
  static final String SERVICE = "security-api-test";
  static final String[] ROOT = basic("root", "root-pw");
  static final String[] READER = basic("reader", "reader-pw");

  @TempDir static Path dir;
  static WharfServer server;
  static URI base;
  /** Every body this class saw from the security endpoints, checked for secrets at the end. */
  static final List<String> bodies = new ArrayList<>();
  /** Every password this class set, none of which may come back. */
  static final List<String> passwords = new ArrayList<>();

  static String yaml(Path data, String rootRoles, String realms) {
    return """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores: {default: {type: file, path: DATA}}
        security:
          realms: REALMS
          token: {service: SERVICE}
          throttle: {maxFailures: 0}
          users:
            - {name: root, passwordHash: "ROOT", roles: ROOTROLES}
            - {name: reader, passwordHash: "READER", roles: [readers]}
          roles:
            - {name: admins, privileges: ["*:*"]}
            - {name: readers, privileges: ["docker-hosted:read"]}
        repositories:
          - {name: docker-hosted, anonymousPull: true}
          - {name: private}
        """.replace("DATA", data.toString())
        .replace("REALMS", realms)
        .replace("SERVICE", SERVICE)
        .replace("ROOTROLES", rootRoles)
        .replace("ROOT", PasswordHashes.hash("root-pw".toCharArray(), 4))
        .replace("READER", PasswordHashes.hash("reader-pw".toCharArray(), 4));
  }

  @BeforeAll
  static void start() throws Exception {
    server = WharfServer.start(ConfigLoader.parse(yaml(dir.resolve("data"), "[admins]", "[docker-token, basic]"),
        "security-api-test.yaml"));
    base = server.url();
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      for (String body : bodies) {
        assertThat(body).doesNotContain("$2").doesNotContain("passwordHash").doesNotContain("\"password\":");
        for (String p : passwords) {
          assertThat(body).doesNotContain(p);
        }
      }
    } finally {
      server.close();
    }
  }

  // ---------------------------------------------------------------- HTTP

  static HttpResponse<byte[]> call(URI url, String method, String path, String body, String... credentials) {
    String[] headers = credentials;
    if (body != null) {
      headers = concat(credentials, "Content-Type", path.endsWith("change-password") ? "text/plain" : "application/json");
    }
    HttpResponse<byte[]> r = ManagementHttp.send(url, method, REST + path,
        body == null ? null : body.getBytes(StandardCharsets.UTF_8), headers);
    bodies.add(text(r));
    return r;
  }

  static HttpResponse<byte[]> call(String method, String path, String body, String... credentials) {
    return call(base, method, path, body, credentials);
  }

  static String[] concat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static void createUser(URI url, String id, String password, String... roles) {
    passwords.add(password);
    HttpResponse<byte[]> r = call(url, "POST", "/v1/security/users", userBody(id, password, "active", roles), ROOT);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
  }

  static void createUser(String id, String password, String... roles) {
    createUser(base, id, password, roles);
  }

  static String userBody(String id, String password, String status, String... roles) {
    return "{\"userId\":\"" + id + "\",\"firstName\":\"First\",\"lastName\":\"Last\",\"emailAddress\":\"" + id
        + "@example.com\"," + (password == null ? "" : "\"password\":\"" + password + "\",") + "\"status\":\"" + status
        + "\",\"roles\":" + array(roles) + "}";
  }

  static void createRole(URI url, String id, String... privileges) {
    HttpResponse<byte[]> r = call(url, "POST", "/v1/security/roles", roleBody(id, privileges), ROOT);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
  }

  static void createRole(String id, String... privileges) {
    createRole(base, id, privileges);
  }

  static String roleBody(String id, String... privileges) {
    return "{\"id\":\"" + id + "\",\"name\":\"" + id + " role\",\"description\":\"for tests\",\"privileges\":"
        + array(privileges) + ",\"roles\":[]}";
  }

  static String array(String... values) {
    List<String> quoted = new ArrayList<>();
    for (String v : values) {
      quoted.add("\"" + v + "\"");
    }
    return "[" + String.join(",", quoted) + "]";
  }

  /** What the registry says to Basic credentials on {@code GET /v2/}: 200 logged in, 401 not. */
  static int login(URI url, String user, String password) {
    return ManagementHttp.get(url, "/v2/", basic(user, password)).statusCode();
  }

  /** A token from {@code /v2/token} (as docker gets one), or null with the status on failure. */
  static String token(URI url, String user, String password, String scope) {
    HttpResponse<byte[]> r = ManagementHttp.get(url, "/v2/token?service=" + SERVICE + "&scope="
        + URLEncoder.encode(scope, StandardCharsets.UTF_8), basic(user, password));
    return r.statusCode() == 200 ? json(r).path("token").asString() : null;
  }

  static JsonNode find(JsonNode array, String field, String value) {
    for (JsonNode n : array) {
      if (n.path(field).asString().equals(value)) {
        return n;
      }
    }
    return null;
  }

  static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asString()));
    return out;
  }

  // ---------------------------------------------------------------- who may

  @Test
  void everyEndpoint_anonymousIs401_nonAdministratorIs403() {
    String[][] calls = {
        {"GET", "/v1/security/users", null},
        {"POST", "/v1/security/users", userBody("nobody1", "pw-nobody1", "active")},
        {"PUT", "/v1/security/users/nobody1", userBody("nobody1", null, "active")},
        {"DELETE", "/v1/security/users/nobody1", null},
        {"GET", "/v1/security/roles", null},
        {"POST", "/v1/security/roles", roleBody("nobody-role")},
        {"GET", "/v1/security/roles/admins", null},
        {"PUT", "/v1/security/roles/nobody-role", roleBody("nobody-role")},
        {"DELETE", "/v1/security/roles/nobody-role", null},
        {"GET", "/v1/security/realms/available", null},
        {"GET", "/v1/security/realms/active", null},
        {"PUT", "/v1/security/realms/active", "[\"NexusAuthenticatingRealm\"]"},
        {"GET", "/v1/security/anonymous", null},
        {"PUT", "/v1/security/anonymous", "{\"enabled\":false}"},
        {"PUT", "/v1/security/users/root/change-password", "new-root-pw"},
    };
    for (String[] c : calls) {
      HttpResponse<byte[]> anonymous = call(c[0], c[1], c[2], ANONYMOUS);
      assertNexusError(anonymous, 401, "UNAUTHORIZED");
      assertThat(anonymous.headers().firstValue("WWW-Authenticate"))
          .hasValue("BASIC realm=\"Sonatype Nexus Repository Manager\"");
      assertNexusError(call(c[0], c[1], c[2], READER), 403, "FORBIDDEN");
    }
    assertNexusError(call("GET", "/v1/security/users", null, basic("root", "wrong")), 401, "UNAUTHORIZED");
    // nothing of the refused calls happened
    assertThat(login(base, "root", "root-pw")).isEqualTo(200);
    assertThat(json(call("GET", "/v1/security/users?userId=nobody", null, ROOT))).isEmpty();
    assertThat(json(call("GET", "/v1/security/anonymous", null, ROOT)).path("enabled").asBoolean()).isTrue();
  }

  @Test
  void aRefusalBeforeTheBodyWasRead_keepsTheConnectionForTheNextRequest() throws Exception {
    // the refusal (401) comes before the body does: the server must still take the body when it
    // comes, and the next request on the same connection
    String body = "{\"enabled\":false,\"userId\":\"anonymous\"}";
    try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(60_000);
      var out = socket.getOutputStream();
      var in = new java.io.BufferedInputStream(socket.getInputStream());
      out.write(("PUT " + REST + "/v1/security/anonymous HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length() + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      assertThat(readResponse(in)).startsWith("HTTP/1.1 401");
      out.write((body + "GET " + REST + "/v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.UTF_8));
      out.flush();
      assertThat(readResponse(in)).startsWith("HTTP/1.1 200");
    }
    assertThat(json(call("GET", "/v1/security/anonymous", null, ROOT)).path("enabled").asBoolean()).isTrue();
  }

  /** One HTTP/1.1 response with a Content-Length: status line, headers and body; "" at the end of the stream. */
  static String readResponse(java.io.InputStream in) throws java.io.IOException {
    java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return head.toString(StandardCharsets.ISO_8859_1);
      }
      head.write(b);
    }
    String headers = head.toString(StandardCharsets.ISO_8859_1);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(headers);
    int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
    return headers + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
  }

  // ---------------------------------------------------------------- users

  @Test
  void users_listTheFilesUsersReadOnly_andTheApisOwn_filteredByIdAndSource() {
    createUser("list-dev", "list-dev-pw", "readers");
    JsonNode all = json(call("GET", "/v1/security/users", null, ROOT));
    JsonNode root = find(all, "userId", "root");
    assertThat(root.path("source").asString()).isEqualTo("config");
    assertThat(root.path("readOnly").asBoolean()).isTrue();
    assertThat(strings(root.path("roles"))).containsExactly("admins");
    JsonNode dev = find(all, "userId", "list-dev");
    assertThat(dev.path("source").asString()).isEqualTo("default");
    assertThat(dev.path("readOnly").asBoolean()).isFalse();
    assertThat(dev.path("status").asString()).isEqualTo("active");
    assertThat(dev.path("firstName").asString()).isEqualTo("First");
    assertThat(dev.path("emailAddress").asString()).isEqualTo("list-dev@example.com");
    assertThat(strings(dev.path("roles"))).containsExactly("readers");
    assertThat(dev.has("password")).isFalse();

    JsonNode byId = json(call("GET", "/v1/security/users?userId=list-", null, ROOT));
    assertThat(byId).hasSize(1);
    assertThat(byId.get(0).path("userId").asString()).isEqualTo("list-dev");
    JsonNode bySource = json(call("GET", "/v1/security/users?source=config", null, ROOT));
    List<String> ids = new ArrayList<>();
    bySource.forEach(u -> ids.add(u.path("userId").asString()));
    assertThat(ids).containsExactly("reader", "root");
    JsonNode badSource = json(call("GET", "/v1/security/users?source=ldap", null, ROOT));
    assertThat(badSource.get(0).path("id").asString()).isEqualTo("PARAMETER source");
  }

  @Test
  void createdUser_logsInAndPushesAtOnce_deletedUser_isRefusedOnTheNextRequest() {
    createRole("live-pushers", "nx-repository-view-docker-docker-hosted-*");
    createUser("live-dev", "live-dev-pw", "live-pushers");

    // docker's way: a token from /v2/token, then push and pull with it
    String token = token(base, "live-dev", "live-dev-pw", "repository:live/app:pull,push");
    assertThat(token).isNotNull();
    String[] bearer = {"Authorization", "Bearer " + token};
    ManagementHttp.Image image = ManagementHttp.pushImage(base, "live/app", "1.0", 1024, bearer);
    assertThat(ManagementHttp.get(base, "/v2/live/app/manifests/" + image.manifestDigest(), bearer).statusCode())
        .isEqualTo(200);
    assertThat(login(base, "live-dev", "live-dev-pw")).isEqualTo(200);

    assertThat(call("DELETE", "/v1/security/users/live-dev", null, ROOT).statusCode()).isEqualTo(204);

    assertThat(login(base, "live-dev", "live-dev-pw")).isEqualTo(401);
    assertThat(token(base, "live-dev", "live-dev-pw", "repository:live/app:pull")).isNull();
    // the token issued before: its user is gone, so it opens nothing any more
    HttpResponse<byte[]> withOldToken = ManagementHttp.get(base, "/v2/live/app/tags/list", bearer);
    assertThat(withOldToken.statusCode()).isEqualTo(401);
    assertThat(withOldToken.headers().firstValue("WWW-Authenticate").orElse("")).contains("invalid_token");
    assertNexusError(call("DELETE", "/v1/security/users/live-dev", null, ROOT), 404, "NOT_FOUND");
  }

  @Test
  void changedPassword_oldFailsAtOnce_byAnAdministratorOrTheUserItself() {
    createUser("pw-dev", "pw-dev-old", "readers");
    createUser("pw-other", "pw-other-pw", "readers");
    assertThat(login(base, "pw-dev", "pw-dev-old")).isEqualTo(200);

    passwords.add("pw-dev-new");
    HttpResponse<byte[]> r = call("PUT", "/v1/security/users/pw-dev/change-password", "pw-dev-new", ROOT);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(204);
    assertThat(login(base, "pw-dev", "pw-dev-old")).isEqualTo(401);
    assertThat(login(base, "pw-dev", "pw-dev-new")).isEqualTo(200);

    // the user itself, with a trailing newline as curl --data-binary @file sends it
    passwords.add("pw-dev-mine");
    r = call("PUT", "/v1/security/users/pw-dev/change-password", "pw-dev-mine\n", basic("pw-dev", "pw-dev-new"));
    assertThat(r.statusCode()).as(text(r)).isEqualTo(204);
    assertThat(login(base, "pw-dev", "pw-dev-mine")).isEqualTo(200);
    assertThat(login(base, "pw-dev", "pw-dev-new")).isEqualTo(401);

    // someone else's: no
    assertNexusError(call("PUT", "/v1/security/users/pw-dev/change-password", "hijack", basic("pw-other", "pw-other-pw")),
        403, "FORBIDDEN");
    assertThat(login(base, "pw-dev", "pw-dev-mine")).isEqualTo(200);
    // empty, unknown user, a file's user
    JsonNode empty = json(call("PUT", "/v1/security/users/pw-dev/change-password", "", ROOT));
    assertThat(empty.get(0).path("id").asString()).isEqualTo("password");
    assertNexusError(call("PUT", "/v1/security/users/nobody/change-password", "x-pw", ROOT), 404, "NOT_FOUND");
    assertNexusError(call("PUT", "/v1/security/users/reader/change-password", "x-pw", ROOT), 409, "CONFLICT");
    assertThat(login(base, "reader", "reader-pw")).isEqualTo(200);
  }

  @Test
  void roleChange_appliesToTheNextRequest() {
    createRole("rc-role", "nx-repository-view-docker-private-read");
    createUser("rc-dev", "rc-dev-pw", "rc-role");
    String[] dev = basic("rc-dev", "rc-dev-pw");
    byte[] blob = "rc".getBytes(StandardCharsets.UTF_8);
    String upload = "/repository/private/v2/rc/app/blobs/uploads/?digest=" + Digest.sha256(blob);
    assertThat(ManagementHttp.send(base, "POST", upload, blob, dev).statusCode()).isEqualTo(403);

    HttpResponse<byte[]> r = call("PUT", "/v1/security/roles/rc-role", roleBody("rc-role",
        "nx-repository-view-docker-private-read", "nx-repository-view-docker-private-add",
        "nx-repository-view-docker-private-edit"), ROOT);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(204);
    assertThat(ManagementHttp.send(base, "POST", upload, blob, dev).statusCode()).isEqualTo(201);
    String token = token(base, "rc-dev", "rc-dev-pw", "repository:private/rc/app:pull,push");
    String[] bearer = {"Authorization", "Bearer " + token};
    String tokenUpload = "/v2/private/rc/app/blobs/uploads/?digest=" + Digest.sha256(blob);
    assertThat(ManagementHttp.send(base, "POST", tokenUpload, blob, bearer).statusCode()).isEqualTo(201);

    JsonNode role = json(call("GET", "/v1/security/roles/rc-role", null, ROOT));
    assertThat(strings(role.path("privileges"))).containsExactly("nx-repository-view-docker-private-read",
        "nx-repository-view-docker-private-add", "nx-repository-view-docker-private-edit");
    assertThat(role.path("source").asString()).isEqualTo("default");
    assertThat(role.path("readOnly").asBoolean()).isFalse();

    // the user loses the role: the next request is refused
    r = call("PUT", "/v1/security/users/rc-dev", userBody("rc-dev", null, "active"), ROOT);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(204);
    assertThat(ManagementHttp.send(base, "POST", upload, blob, dev).statusCode()).isEqualTo(403);
    // a token issued before grants no more than its user holds now
    assertThat(ManagementHttp.send(base, "POST", tokenUpload, blob, bearer).statusCode()).isEqualTo(403);
    // disabled: cannot log in at all
    r = call("PUT", "/v1/security/users/rc-dev", userBody("rc-dev", null, "disabled", "rc-role"), ROOT);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(204);
    assertThat(login(base, "rc-dev", "rc-dev-pw")).isEqualTo(401);
    JsonNode listed = json(call("GET", "/v1/security/users?userId=rc-dev", null, ROOT)).get(0);
    assertThat(listed.path("status").asString()).isEqualTo("disabled");
    assertThat(strings(listed.path("roles"))).containsExactly("rc-role");
  }

  @Test
  void nestedRoles_andTheBuiltInNxAdmin_grantWhatTheyContain() {
    createRole("nest-inner", "docker-hosted:write");
    HttpResponse<byte[]> r = call("POST", "/v1/security/roles", "{\"id\":\"nest-outer\",\"privileges\":[],"
        + "\"roles\":[\"nest-inner\",\"nx-admin\"]}", ROOT);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
    assertThat(json(r).path("name").asString()).as("name defaults to the id").isEqualTo("nest-outer");
    createUser("nest-admin", "nest-admin-pw", "nest-outer");
    // an administrator through nx-admin: may use the API
    assertThat(call("GET", "/v1/security/users", null, basic("nest-admin", "nest-admin-pw")).statusCode())
        .isEqualTo(200);

    JsonNode roles = json(call("GET", "/v1/security/roles", null, ROOT));
    JsonNode nxAdmin = find(roles, "id", "nx-admin");
    assertThat(strings(nxAdmin.path("privileges"))).containsExactly("nx-all");
    assertThat(nxAdmin.path("readOnly").asBoolean()).isTrue();
    JsonNode readers = find(roles, "id", "readers");
    assertThat(readers.path("source").asString()).isEqualTo("config");
    assertThat(readers.path("readOnly").asBoolean()).isTrue();
    assertThat(strings(readers.path("privileges"))).containsExactly("nx-repository-view-docker-docker-hosted-browse",
        "nx-repository-view-docker-docker-hosted-read");
    assertThat(strings(find(roles, "id", "admins").path("privileges"))).containsExactly("nx-all");
    assertThat(json(call("GET", "/v1/security/roles?source=config", null, ROOT))).hasSize(2);
    assertBad(call("GET", "/v1/security/roles?source=ldap", null, ROOT), "PARAMETER source");

    // a cycle through the inner role: refused, naming roles
    r = call("PUT", "/v1/security/roles/nest-inner", "{\"id\":\"nest-inner\",\"privileges\":[],\"roles\":[\"nest-outer\"]}",
        ROOT);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(400);
    assertThat(json(r).get(0).path("id").asString()).isEqualTo("roles");
    // in use: cannot be deleted
    assertNexusError(call("DELETE", "/v1/security/roles/nest-inner", null, ROOT), 409, "CONFLICT");
    assertNexusError(call("DELETE", "/v1/security/roles/nx-admin", null, ROOT), 409, "CONFLICT");
  }

  // ---------------------------------------------------------------- bad input

  @Test
  void badInput_is400NamingTheField_andCreatesNothing() {
    assertThat(call("POST", "/v1/security/users", "{not json", ROOT).statusCode()).isEqualTo(400);
    assertBad(call("POST", "/v1/security/users", "[]", ROOT), "*");
    assertBad(call("POST", "/v1/security/users", "{\"password\":\"bad-pw\",\"roles\":[]}", ROOT), "userId");
    assertBad(call("POST", "/v1/security/users", "{\"userId\":\"bad/id\",\"password\":\"bad-pw\"}", ROOT), "userId");
    assertBad(call("POST", "/v1/security/users", "{\"userId\":\"bad-1\"}", ROOT), "password");
    assertBad(call("POST", "/v1/security/users", userBody("bad-1", "bad-pw", "active", "no-such-role"), ROOT), "roles");
    assertBad(call("POST", "/v1/security/users", userBody("bad-1", "bad-pw", "locked"), ROOT), "status");
    assertBad(call("POST", "/v1/security/users", "{\"userId\":\"bad-1\",\"password\":\"bad-pw\",\"roles\":\"readers\"}",
        ROOT), "roles");
    assertBad(call("POST", "/v1/security/users", "{\"userId\":\"bad-1\",\"password\":\"bad-pw\",\"emailAddress\":\"nope\"}",
        ROOT), "emailAddress");
    assertBad(call("POST", "/v1/security/users", userBody("bad-1", "x".repeat(73), "active"), ROOT), "password");
    assertThat(json(call("GET", "/v1/security/users?userId=bad", null, ROOT))).isEmpty();
    assertThat(login(base, "bad-1", "bad-pw")).isEqualTo(401);

    assertBad(call("POST", "/v1/security/roles", roleBody("bad-role", "nx-blobstores-all"), ROOT), "privileges");
    assertBad(call("POST", "/v1/security/roles", roleBody("bad-role", "nx-repository-view-docker-no-such-repo-read"),
        ROOT), "privileges");
    assertBad(call("POST", "/v1/security/roles", roleBody("bad-role", "nx-repository-view-maven2-private-read"), ROOT),
        "privileges");
    assertBad(call("POST", "/v1/security/roles", roleBody("bad-role", "nx-repository-admin-docker-private-read"), ROOT),
        "privileges");
    assertBad(call("POST", "/v1/security/roles", "{\"privileges\":[]}", ROOT), "id");
    assertBad(call("POST", "/v1/security/roles", "{\"id\":\"bad-role\",\"roles\":[\"bad-role\"]}", ROOT), "roles");
    assertNexusError(call("GET", "/v1/security/roles/bad-role", null, ROOT), 404, "NOT_FOUND");

    createUser("bad-dup", "bad-dup-pw");
    assertNexusError(call("POST", "/v1/security/users", userBody("bad-dup", "other-pw", "active"), ROOT), 409, "CONFLICT");
    assertThat(login(base, "bad-dup", "bad-dup-pw")).as("the first one stays").isEqualTo(200);
    assertNexusError(call("POST", "/v1/security/users", userBody("reader", "other-pw", "active"), ROOT), 409, "CONFLICT");
    assertNexusError(call("POST", "/v1/security/roles", roleBody("readers"), ROOT), 409, "CONFLICT");
    assertNexusError(call("POST", "/v1/security/roles", roleBody("nx-admin"), ROOT), 409, "CONFLICT");
    assertBad(call("PUT", "/v1/security/users/bad-dup", userBody("someone-else", null, "active"), ROOT), "userId");
    assertNexusError(call("PUT", "/v1/security/users/no-such-user", userBody("no-such-user", null, "active"), ROOT), 404,
        "NOT_FOUND");
    assertNexusError(call("DELETE", "/v1/security/roles/no-such-role", null, ROOT), 404, "NOT_FOUND");
    assertNexusError(call("GET", "/v1/security/users/bad-dup", null, ROOT), 405, "METHOD_NOT_ALLOWED");
  }

  static void assertBad(HttpResponse<byte[]> r, String field) {
    assertThat(r.statusCode()).as(text(r)).isEqualTo(400);
    JsonNode body = json(r);
    assertThat(body.isArray()).as(text(r)).isTrue();
    List<String> ids = new ArrayList<>();
    body.forEach(v -> ids.add(v.path("id").asString()));
    assertThat(ids).as(text(r)).contains(field);
    assertThat(body.get(0).path("message").asString()).isNotBlank();
  }

  @Test
  void theFilesUsersAndRoles_arePinned_409() {
    assertNexusError(call("PUT", "/v1/security/users/reader", userBody("reader", null, "active", "admins"), ROOT), 409,
        "CONFLICT");
    assertNexusError(call("DELETE", "/v1/security/users/root", null, ROOT), 409, "CONFLICT");
    assertNexusError(call("PUT", "/v1/security/roles/readers", roleBody("readers", "nx-all"), ROOT), 409, "CONFLICT");
    assertNexusError(call("DELETE", "/v1/security/roles/admins", null, ROOT), 409, "CONFLICT");
    assertThat(login(base, "root", "root-pw")).isEqualTo(200);
    assertThat(ManagementHttp.get(base, "/v2/x/tags/list", READER).statusCode()).as("reader still reads")
        .isEqualTo(404);
  }

  // ---------------------------------------------------------------- realms and anonymous access

  @Test
  void realmsAndAnonymousAccess_changeTheChallengeAndAnonymousPullAtOnce() {
    JsonNode available = json(call("GET", "/v1/security/realms/available", null, ROOT));
    assertThat(find(available, "id", "DockerToken").path("name").asString()).isEqualTo("Docker Bearer Token Realm");
    assertThat(find(available, "id", "NexusAuthenticatingRealm")).isNotNull();
    assertThat(strings(json(call("GET", "/v1/security/realms/active", null, ROOT))))
        .containsExactly("DockerToken", "NexusAuthenticatingRealm");
    assertThat(ManagementHttp.get(base, "/v2/").headers().firstValue("WWW-Authenticate").orElse(""))
        .startsWith("Bearer realm=");
    JsonNode anonymous = json(call("GET", "/v1/security/anonymous", null, ROOT));
    assertThat(anonymous.path("enabled").asBoolean()).isTrue();
    assertThat(anonymous.path("userId").asString()).isEqualTo("anonymous");
    assertThat(anonymous.path("realmName").asString()).isEqualTo("NexusAuthorizingRealm");
    assertThat(ManagementHttp.get(base, "/v2/docker-hosted/x/tags/list").statusCode()).isEqualTo(404);
    try {
      HttpResponse<byte[]> r = call("PUT", "/v1/security/realms/active", "[\"NexusAuthenticatingRealm\"]", ROOT);
      assertThat(r.statusCode()).as(text(r)).isEqualTo(204);
      assertThat(ManagementHttp.get(base, "/v2/").headers().firstValue("WWW-Authenticate").orElse(""))
          .startsWith("Basic realm=");
      assertThat(token(base, "root", "root-pw", "repository:x:pull")).as("no token endpoint without the realm").isNull();

      r = call("PUT", "/v1/security/anonymous", "{\"enabled\":false,\"userId\":\"anonymous\","
          + "\"realmName\":\"NexusAuthorizingRealm\"}", ROOT);
      assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
      assertThat(json(r).path("enabled").asBoolean()).isFalse();
      assertThat(ManagementHttp.get(base, "/v2/docker-hosted/x/tags/list").statusCode()).isEqualTo(401);
      assertThat(ManagementHttp.get(base, "/v2/docker-hosted/x/tags/list", READER).statusCode()).isEqualTo(404);

      assertBad(call("PUT", "/v1/security/realms/active", "[\"LdapRealm\"]", ROOT), "*");
      assertBad(call("PUT", "/v1/security/realms/active", "[]", ROOT), "*");
      assertBad(call("PUT", "/v1/security/realms/active", "{\"realms\":[]}", ROOT), "*");
      assertBad(call("PUT", "/v1/security/realms/active", "[\"DockerToken\",\"DockerToken\"]", ROOT), "*");
      assertBad(call("PUT", "/v1/security/anonymous", "{\"enabled\":\"yes\"}", ROOT), "enabled");
      assertBad(call("PUT", "/v1/security/anonymous", "{\"enabled\":true,\"userId\":\"guest\"}", ROOT), "userId");
      assertThat(strings(json(call("GET", "/v1/security/realms/active", null, ROOT))))
          .containsExactly("NexusAuthenticatingRealm");
      assertThat(json(call("GET", "/v1/security/anonymous", null, ROOT)).path("enabled").asBoolean()).isFalse();
    } finally {
      call("PUT", "/v1/security/realms/active", "[\"DockerToken\",\"NexusAuthenticatingRealm\"]", ROOT);
      call("PUT", "/v1/security/anonymous", "{\"enabled\":true}", ROOT);
    }
    assertThat(ManagementHttp.get(base, "/v2/docker-hosted/x/tags/list").statusCode()).isEqualTo(404);
    assertThat(token(base, "root", "root-pw", "repository:x:pull")).isNotNull();
  }

  // ---------------------------------------------------------------- restart, the last administrator

  @Test
  void changes_surviveARestart_andTheFileWinsWhereItChangedSince(@TempDir Path other) throws Exception {
    Path data = other.resolve("data");
    try (WharfServer first = WharfServer.start(ConfigLoader.parse(yaml(data, "[admins]", "[docker-token, basic]"), "a.yaml"))) {
      URI url = first.url();
      createRole(url, "rs-pushers", "nx-repository-view-docker-private-*");
      createUser(url, "rs-ops", "rs-ops-pw", "nx-admin");
      createUser(url, "rs-dev", "rs-dev-pw", "rs-pushers");
      assertThat(call(url, "PUT", "/v1/security/anonymous", "{\"enabled\":false}", ROOT).statusCode()).isEqualTo(200);
      assertThat(call(url, "PUT", "/v1/security/realms/active", "[\"NexusAuthenticatingRealm\",\"DockerToken\"]", ROOT)
          .statusCode()).isEqualTo(204);
    }
    // kept in the blob store with bcrypt hashes, never a password
    Path stored;
    try (var files = java.nio.file.Files.walk(data)) {
      stored = files.filter(f -> f.getFileName().toString().equals("security.json")).findFirst().orElseThrow();
    }
    String document = java.nio.file.Files.readString(stored);
    assertThat(document).contains("rs-dev", "$2y$").doesNotContain("rs-dev-pw").doesNotContain("rs-ops-pw");
    // the same file: everything the API did is back
    try (WharfServer second = WharfServer.start(ConfigLoader.parse(yaml(data, "[admins]", "[docker-token, basic]"), "a.yaml"))) {
      URI url = second.url();
      assertThat(login(url, "rs-dev", "rs-dev-pw")).isEqualTo(200);
      ManagementHttp.pushImage(url, "private/app", "1", 16, basic("rs-dev", "rs-dev-pw"));
      JsonNode dev = json(call(url, "GET", "/v1/security/users?userId=rs-dev", null, ROOT)).get(0);
      assertThat(strings(dev.path("roles"))).containsExactly("rs-pushers");
      assertThat(strings(json(call(url, "GET", "/v1/security/roles/rs-pushers", null, ROOT)).path("privileges")))
          .containsExactly("nx-repository-view-docker-private-*");
      assertThat(json(call(url, "GET", "/v1/security/anonymous", null, ROOT)).path("enabled").asBoolean()).isFalse();
      assertThat(strings(json(call(url, "GET", "/v1/security/realms/active", null, ROOT))))
          .containsExactly("NexusAuthenticatingRealm", "DockerToken");
    }
    // the file's realms changed since: the file's win; root is no administrator any more, so
    // rs-ops is the last one and may not remove itself
    try (WharfServer third = WharfServer.start(ConfigLoader.parse(yaml(data, "[readers]", "[docker-token]"), "b.yaml"))) {
      URI url = third.url();
      String[] ops = basic("rs-ops", "rs-ops-pw");
      assertThat(strings(json(call(url, "GET", "/v1/security/realms/active", null, ops)))).containsExactly("DockerToken");
      assertNexusError(call(url, "GET", "/v1/security/users", null, ROOT), 403, "FORBIDDEN");
      assertNexusError(call(url, "DELETE", "/v1/security/users/rs-ops", null, ops), 409, "CONFLICT");
      assertNexusError(call(url, "PUT", "/v1/security/users/rs-ops", userBody("rs-ops", null, "active", "readers"), ops),
          409, "CONFLICT");
      assertNexusError(call(url, "PUT", "/v1/security/users/rs-ops", userBody("rs-ops", null, "disabled", "nx-admin"),
          ops), 409, "CONFLICT");
      // another administrator first, then it may go
      createUserAs(url, ops, "rs-ops2", "rs-ops2-pw", "nx-admin");
      assertThat(call(url, "DELETE", "/v1/security/users/rs-ops", null, ops).statusCode()).isEqualTo(204);
      assertThat(call(url, "GET", "/v1/security/users", null, basic("rs-ops2", "rs-ops2-pw")).statusCode()).isEqualTo(200);
    }
  }

  static void createUserAs(URI url, String[] admin, String id, String password, String... roles) {
    passwords.add(password);
    HttpResponse<byte[]> r = call(url, "POST", "/v1/security/users", userBody(id, password, "active", roles), admin);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
  }

  @Test
  void openServer_hasNoUsersToManage_409() throws Exception {
    try (WharfServer open = WharfServer.start(WharfConfig.defaults().override("127.0.0.1", 0,
        dir.resolve("open").toString()))) {
      assertNexusError(call(open.url(), "GET", "/v1/security/users", null), 409, "CONFLICT");
      assertNexusError(call(open.url(), "POST", "/v1/security/users", userBody("x", "x-pw", "active")), 409, "CONFLICT");
    }
  }
}
