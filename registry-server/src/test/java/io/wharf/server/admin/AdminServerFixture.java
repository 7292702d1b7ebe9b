package io.wharf.server.admin;

import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Wharf servers for the tests of what the management API changes: each on a loopback port, all of
 * one fixture on the same file store (a second one running is a second node, one started after
 * another closed is a restart), with an administrator ({@value #ADMIN}/{@value #ADMIN_PASSWORD},
 * every privilege) and a reader ({@value #READER}/{@value #READER_PASSWORD}, read on one
 * repository). Where the API keeps its changes is in {@link #settings}.
 */
public final class AdminServerFixture {
  /** The administrator's name. */
  public static final String ADMIN = "admin";
  /** The administrator's password. */
  public static final String ADMIN_PASSWORD = "admin-pw";
  /** The reader's name. */
  public static final String READER = "reader";
  /** The reader's password. */
  public static final String READER_PASSWORD = "reader-pw";
  /** The administrator's {@code name:password}, for {@link #call}. */
  public static final String ADMIN_LOGIN = ADMIN + ":" + ADMIN_PASSWORD;
  /** The reader's {@code name:password}, for {@link #call}. */
  public static final String READER_LOGIN = READER + ":" + READER_PASSWORD;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Path data;
  private final String readable;
  private final String adminHash = PasswordHashes.hash(ADMIN_PASSWORD.toCharArray(), 4);
  private final String readerHash = PasswordHashes.hash(READER_PASSWORD.toCharArray(), 4);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();

  /**
   * @param dir the test's directory; the store is its {@code data}
   * @param readable the repository the reader may read
   */
  public AdminServerFixture(Path dir, String readable) {
    this.data = dir.resolve("data");
    this.readable = readable;
  }

  /**
   * Starts a server whose config file is the fixture's sections ({@code server}, {@code blobStores},
   * {@code security}) and {@code sections}. Its graceful stop is short (100 ms): no request is in
   * flight when a test stops it, only a client's idle keep-alive connection, which Jetty would wait on.
   *
   * @param sections the file's other top-level sections ({@code repositories}, {@code events}, ...), as YAML
   * @param fileName names the file in error messages
   */
  public WharfServer start(String sections, String fileName) throws Exception {
    return WharfServer.start(ConfigLoader.parse("""
        server: {bind: 127.0.0.1, port: 0, shutdownTimeout: 100ms, accessLog: false}
        blobStores: {default: {type: file, path: "%s"}}
        security:
          users:
            - {name: %s, passwordHash: "%s", roles: [admins]}
            - {name: %s, passwordHash: "%s", roles: [readers]}
          roles:
            - {name: admins, privileges: ["*:*"]}
            - {name: readers, privileges: ["%s:read"]}
        """.formatted(data, ADMIN, adminHash, READER, readerHash, readable) + sections, fileName));
  }

  /** Wharf's own directory in the store: settings, events, tag history. */
  public Path wharfDirectory() {
    return data.resolve("docker/registry/v2/_wharf");
  }

  /** The document in which the management API keeps {@code subject} ({@code repositories}, {@code sync-rules}, ...). */
  public Path settings(String subject) {
    return wharfDirectory().resolve("settings/" + subject + ".json");
  }

  /**
   * Calls the management API of {@code server} as the administrator.
   *
   * @param server the server
   * @param method the HTTP method
   * @param path the path, with its query
   * @param body a JSON body, or null for none
   */
  public HttpResponse<String> call(WharfServer server, String method, String path, String body) throws Exception {
    return call(server, method, path, body, ADMIN_LOGIN);
  }

  /**
   * Calls the management API of {@code server} as {@code user}.
   *
   * @param server the server
   * @param method the HTTP method
   * @param path the path, with its query
   * @param body a JSON body, or null for none
   * @param user {@code name:password} for Basic authentication, or null for none
   */
  public HttpResponse<String> call(WharfServer server, String method, String path, String body, String user)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(120))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    if (user != null) {
      b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(user.getBytes(StandardCharsets.UTF_8)));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * An answer's body as JSON.
   *
   * @param r the answer
   */
  public static JsonNode json(HttpResponse<String> r) {
    return JSON.readTree(r.body());
  }
}
