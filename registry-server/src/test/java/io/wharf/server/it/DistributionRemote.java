package io.wharf.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.auth.PasswordHashes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * Debian's {@code docker-registry} at the other end of a pull or push rule, for the sync ITs:
 * anonymous, or behind htpasswd with one user (then checked to refuse anonymous access); what a
 * Wharf config file writes to reach it ({@link #endpoint}, {@link #credentialsSection}); and that
 * config file's fixed part ({@link #wharfConfig}: a file store, an administrator). Stopped and
 * started again on its port to play an outage.
 */
final class DistributionRemote implements AutoCloseable {
  /** Wharf's administrator, as a Basic header: {@code admin}, every privilege. */
  static final String ADMIN = basic("admin", "admin-pw");
  /** The name of the config file's credentials entry for the remote's user. */
  static final String CREDENTIALS = "remote-user";

  private final Path root;
  private final Path htpasswd;
  private final String user;
  private final String password;
  private DistributionProcess process;

  private DistributionRemote(Path dir, String user, String password) throws IOException {
    this.root = dir.resolve("registry");
    this.user = user;
    this.password = password;
    if (password == null) {
      htpasswd = null;
    } else {
      htpasswd = dir.resolve("htpasswd");
      Files.createDirectories(dir);
      // distribution reads bcrypt entries only
      Files.writeString(htpasswd, user + ":" + PasswordHashes.hash(password.toCharArray(), 4) + "\n");
    }
    process = DistributionProcess.serve(root, htpasswd);
  }

  /** A registry anyone may read and write, under {@code dir}. */
  static DistributionRemote anonymous(Path dir) throws IOException {
    return new DistributionRemote(dir, null, null);
  }

  /** A registry under {@code dir} for {@code user} alone; asserts that it refuses anonymous access. */
  static DistributionRemote withUser(Path dir, String user, String password) throws Exception {
    DistributionRemote r = new DistributionRemote(dir, user, password);
    int status = DistributionPushes.send(HttpRequest.newBuilder(URI.create(r.url() + "/v2/")).GET(), null)
        .statusCode();
    assertThat(status).as("the remote refuses anonymous access").isEqualTo(401);
    return r;
  }

  /** {@code http://127.0.0.1:<port>}, the same after a {@link #restart}. */
  String url() {
    return process.url();
  }

  /** The user's Basic header, or null for an anonymous registry. */
  String auth() {
    return password == null ? null : basic(user, password);
  }

  /** The rule's {@code source} or {@code target}: the url, and the {@value #CREDENTIALS} entry if there is a user. */
  String endpoint() {
    return "{url: \"" + url() + "\"" + (password == null ? "" : ", credentials: " + CREDENTIALS) + "}";
  }

  /** The config file's {@code credentials:} section with the user's entry, or nothing for an anonymous registry. */
  String credentialsSection() {
    return password == null ? "" : """
        credentials:
          - {name: %s, username: %s, password: "%s"}
        """.formatted(CREDENTIALS, user, password);
  }

  /** Stops the registry (an outage); {@link #restart} brings it back. */
  void stop() {
    process.close();
  }

  /** Starts the registry again, on its port and with its content. */
  void restart() throws IOException {
    process = DistributionProcess.serve(root, htpasswd, process.port());
  }

  @Override
  public void close() {
    process.close();
  }

  /**
   * A Wharf config file: on a free loopback port, a file store in {@code data}, anonymous access
   * as the repositories allow, {@link #ADMIN}; then {@code sections} (repositories, credentials).
   */
  static String wharfConfig(Path data, String sections) {
    return """
        server: {bind: 127.0.0.1, port: 0, shutdownTimeout: 1s}
        blobStores: {default: {type: file, path: "%s"}}
        security:
          anonymous: true
          users:
            - {name: admin, passwordHash: "%s", roles: [admins]}
          roles:
            - {name: admins, privileges: ["*:*"]}
        """.formatted(data, PasswordHashes.hash("admin-pw".toCharArray(), 4)) + sections;
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }
}
