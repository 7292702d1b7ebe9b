package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.basic;
import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.send;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The OpenAPI document at {@code /service/rest/swagger.json} against the running server: it is
 * assembled from every fragment in {@code io/wharf/server/admin/openapi/}, and every operation it
 * documents exists. Each operation is called as an administrator (reads first, then changes,
 * deletes last), and must not meet "no endpoint" (a 404 naming no such path, or the registry's
 * own 404) or a 405, must answer a status the document lists (a 400 is accepted where the call
 * sends a body, which this test can only guess), and where that status documents a JSON schema,
 * the body must have its top-level type.
 *
 * <p><b>For fragment authors</b>: path parameters take their {@code example}; without one, the
 * value in {@link #FIXTURE} for the parameter's name. The fixture server has:
 * <pre>
 * users       admin (admin-pw, *:*), reader (reader-pw, read on docker-hosted)
 * blob store  default (file; cleanup policy on docker-hosted, cache limits on hub)
 * docker-hosted  hosted, image team/app:1.0 pushed
 * hub            proxy of another Wharf that has team/app:2.0
 * all            group of docker-hosted and hub
 * </pre>
 * Request bodies: the operation's {@code requestBody} JSON {@code example}, else {@code {}}.
 */
class OpenApiTest {
  static {
    ManagementHttp.quietLogs();
  }

  static final String[] ADMIN = basic("admin", "admin-pw");
  /** Values for path parameters without an {@code example}, by parameter name. */
  static final Map<String, String> FIXTURE = Map.of(
      "name", "docker-hosted",
      "repository", "docker-hosted",
      "repositoryName", "docker-hosted",
      "store", "default",
      "image", "team/app",
      "tag", "1.0",
      "reference", "1.0",
      "id", "default.gc",
      "userId", "reader",
      "roleId", "readers");
  static final List<String> ORDER = List.of("get", "put", "post", "patch", "delete");
  static final Pattern PARAM = Pattern.compile("\\{([^}]+)}");

  @TempDir static Path dir;
  static WharfServer upstream;
  static WharfServer server;
  static URI base;

  @BeforeAll
  static void start() throws Exception {
    upstream = WharfServer.start(WharfConfig.defaults().override("127.0.0.1", 0, dir.resolve("upstream").toString())
        .withManagement(new WharfConfig.Management(new WharfConfig.Metrics(false, null))));
    ManagementHttp.pushImage(upstream.url(), "team/app", "2.0", 1000);
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA}
        security:
          users:
            - {name: admin, passwordHash: "ADMIN", roles: [admins]}
            - {name: reader, passwordHash: "READER", roles: [readers]}
          roles:
            - {name: admins, privileges: ["*:*"]}
            - {name: readers, privileges: ["docker-hosted:read"]}
        repositories:
          - {name: docker-hosted, type: hosted, cleanup: {keepLatest: 5},
             sync: [{name: nightly, source: {repository: hub}, content: [{names: [team/app]}]}],
             replication: [{name: second-site, target: {url: "http://127.0.0.1:9"}, onPush: false,
                            content: [{names: [team/app]}]}]}
          - {name: hub, type: proxy, remoteUrl: UPSTREAM, cache: {maxSize: 1GiB}}
          - {name: all, type: group, members: [docker-hosted, hub]}
        """.replace("DATA", dir.resolve("data").toString())
        .replace("UPSTREAM", upstream.url().toString())
        .replace("ADMIN", PasswordHashes.hash("admin-pw".toCharArray(), 4))
        .replace("READER", PasswordHashes.hash("reader-pw".toCharArray(), 4));
    server = WharfServer.start(ConfigLoader.parse(yaml, "openapi-test.yaml"));
    base = server.url();
    ManagementHttp.pushImage(base, "docker-hosted/team/app", "1.0", 1000, ADMIN);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      server.close();
    } finally {
      upstream.close();
    }
  }

  static JsonNode spec() {
    HttpResponse<byte[]> r = get(base, "/service/rest/swagger.json"); // no credentials, as Nexus
    assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
    return ManagementHttp.json(r);
  }

  @Test
  void swaggerJson_withoutCredentials_hasWharfsVersion_andEveryFragment() throws Exception {
    JsonNode spec = spec();
    assertThat(spec.path("openapi").asString()).startsWith("3.0");
    assertThat(spec.path("info").path("version").asString()).as("the build's project.version")
        .matches("\\d+\\.\\d+\\.\\d+.*");
    assertThat(spec.path("components").path("securitySchemes").path("basicAuth").path("scheme").asString())
        .isEqualTo("basic");
    // every fragment's paths are in the document
    for (String fragment : OpenApiSpec.fragmentNames(getClass().getClassLoader())) {
      JsonNode f;
      try (var in = getClass().getClassLoader().getResourceAsStream(OpenApiSpec.FRAGMENTS + fragment)) {
        f = ManagementHttp.JSON.readTree(in);
      }
      for (String path : f.path("paths").propertyNames()) {
        for (String method : f.path("paths").path(path).propertyNames()) {
          assertThat(spec.path("paths").path(path).has(method)).as("%s %s of %s", method, path, fragment).isTrue();
        }
      }
    }
    assertThat(spec.path("paths").propertyNames()).contains("/service/rest/v1/blobstores",
        "/service/rest/v1/tasks", "/wharf/api/v1/config", "/health/ready", "/metrics",
        "/service/rest/v1/repositories");
  }

  @Test
  void everyDocumentedOperation_existsAndAnswersADocumentedStatusAndShape() {
    JsonNode spec = spec();
    Set<String> operationIds = new HashSet<>();
    record Op(String method, String path, JsonNode op) {}
    List<Op> ops = new ArrayList<>();
    for (String method : ORDER) {
      for (String path : spec.path("paths").propertyNames()) {
        JsonNode op = spec.path("paths").path(path).get(method);
        if (op != null) {
          ops.add(new Op(method, path, op));
        }
      }
    }
    assertThat(ops).hasSizeGreaterThan(20);
    List<String> failures = new ArrayList<>();
    for (Op o : ops) {
      String what = o.method().toUpperCase() + " " + o.path();
      String id = o.op().path("operationId").asString(null);
      if (id != null && !operationIds.add(id)) {
        failures.add(what + ": operationId " + id + " is used twice");
      }
      JsonNode responses = o.op().path("responses");
      if (responses.isEmpty()) {
        failures.add(what + ": documents no response");
        continue;
      }
      String url;
      try {
        url = url(o.path(), o.op(), spec.path("paths").path(o.path()));
      } catch (IllegalStateException e) {
        failures.add(what + ": " + e.getMessage());
        continue;
      }
      byte[] body = null;
      String[] headers = ADMIN;
      if (o.op().has("requestBody")) {
        JsonNode example = o.op().path("requestBody").path("content").path("application/json").path("example");
        body = (example.isMissingNode() ? "{}" : example.toString()).getBytes(StandardCharsets.UTF_8);
        headers = new String[] {ADMIN[0], ADMIN[1], "Content-Type", "application/json"};
      } else if (!o.method().equals("get") && !o.method().equals("delete")) {
        body = new byte[0];
      }
      HttpResponse<byte[]> r = send(base, o.method().toUpperCase(), url, body, headers);
      String answer = r.statusCode() + " " + abbreviate(text(r));
      int status = r.statusCode();
      if (status == 405) {
        failures.add(what + ": 405: " + answer);
        continue;
      }
      if (status == 404 && (text(r).contains("no endpoint at") || text(r).contains("\"errors\""))) {
        failures.add(what + " (" + url + "): no such endpoint: " + answer);
        continue;
      }
      JsonNode documented = responses.get(String.valueOf(status));
      if (documented == null) {
        documented = responses.get("default");
      }
      if (documented == null) {
        if (!(status == 400 && body != null && body.length > 0)) {
          failures.add(what + " (" + url + "): answered " + answer + ", documented: " + responses.propertyNames());
        }
        continue;
      }
      JsonNode schema = documented.path("content").path("application/json").path("schema");
      if (!schema.isMissingNode()) {
        String contentType = r.headers().firstValue("Content-Type").orElse("");
        if (!contentType.startsWith("application/json")) {
          failures.add(what + ": " + status + " documents JSON, answered " + contentType);
          continue;
        }
        String expected = type(spec, schema);
        JsonNode actual = ManagementHttp.JSON.readTree(r.body());
        if (expected != null && !expected.equals(jsonType(actual))) {
          failures.add(what + ": " + status + " documents " + expected + ", answered " + jsonType(actual) + ": "
              + answer);
        }
      }
    }
    assertThat(failures).as("operations that disagree with the document").isEmpty();
  }

  /** The path with its parameters filled in, and required query parameters with their examples. */
  static String url(String path, JsonNode op, JsonNode pathItem) {
    List<JsonNode> params = new ArrayList<>();
    pathItem.path("parameters").forEach(params::add);
    op.path("parameters").forEach(params::add);
    StringBuilder sb = new StringBuilder();
    Matcher m = PARAM.matcher(path);
    while (m.find()) {
      String name = m.group(1);
      String value = null;
      for (JsonNode p : params) {
        if (p.path("in").asString().equals("path") && p.path("name").asString().equals(name)) {
          value = p.has("example") ? p.path("example").asString() : null;
          if (value == null) {
            value = FIXTURE.get(name);
          }
          break;
        }
      }
      if (value == null) {
        throw new IllegalStateException("path parameter {" + name + "} is undeclared or has no example"
            + " (and the test's fixture has no value for that name)");
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(value.contains("/") ? value
          : URLEncoder.encode(value, StandardCharsets.UTF_8)));
    }
    m.appendTail(sb);
    String sep = "?";
    for (JsonNode p : params) {
      if (p.path("in").asString().equals("query") && p.path("required").asBoolean(false)) {
        if (!p.has("example")) {
          throw new IllegalStateException("required query parameter " + p.path("name").asString() + " has no example");
        }
        sb.append(sep).append(p.path("name").asString()).append('=')
            .append(URLEncoder.encode(p.path("example").asString(), StandardCharsets.UTF_8));
        sep = "&";
      }
    }
    return sb.toString();
  }

  /** The top-level JSON type a schema describes (following {@code $ref}s); null if it says none. */
  static String type(JsonNode spec, JsonNode schema) {
    for (int i = 0; i < 10 && schema.has("$ref"); i++) {
      String ref = schema.path("$ref").asString();
      assertThat(ref).startsWith("#/components/schemas/");
      schema = spec.path("components").path("schemas").path(ref.substring("#/components/schemas/".length()));
      assertThat(schema.isMissingNode()).as("%s resolves", ref).isFalse();
    }
    return schema.has("type") ? schema.path("type").asString() : null;
  }

  static String jsonType(JsonNode n) {
    if (n.isObject()) {
      return "object";
    }
    if (n.isArray()) {
      return "array";
    }
    if (n.isString()) {
      return "string";
    }
    if (n.isIntegralNumber()) {
      return "integer";
    }
    if (n.isNumber()) {
      return "number";
    }
    if (n.isBoolean()) {
      return "boolean";
    }
    return "null";
  }

  static String abbreviate(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }
}
