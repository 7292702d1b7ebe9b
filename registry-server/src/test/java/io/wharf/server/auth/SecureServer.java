package io.wharf.server.auth;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A secured Wharf on loopback for the security tests, with a signing key the test holds (so it
 * can forge tokens with it), and a small raw HTTP toolbox.
 *
 * <pre>
 * users (password: NAME-pw)   roles
 *   ci          read, write, delete on docker-hosted
 *   reader      read on docker-hosted
 *   writeonly   write on repo-a (no read)
 *   alice       everything on repo-a
 *   groupie     read and write on the group all, write on repo-b (its writable member)
 *   grouponly   read and write on the group all, nothing on repo-b
 *   victim      read on docker-hosted (for the lockout test)
 * repositories
 *   docker-hosted   main port default, anonymousPull
 *   repo-a          own port, host a.docker.lan
 *   repo-b          own port, host b.docker.lan
 *   all             group of repo-a, repo-b (writable member repo-b), own port
 *   basic-only      own port, realms [basic]
 * </pre>
 */
final class SecureServer implements AutoCloseable {
  static final String SERVICE = "wharf-test";
  static final String ISSUER = "wharf-test-issuer";
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  final WharfServer server;
  final KeyPair signingKey;

  private SecureServer(WharfServer server, KeyPair signingKey) {
    this.server = server;
    this.signingKey = signingKey;
  }

  static String password(String user) {
    return user + "-pw";
  }

  /**
   * The secured server, with the test client as its trusted reverse proxy: tests name client
   * addresses with {@code X-Forwarded-For} (each its own, so lockouts do not spill over).
   */
  static SecureServer start(Path dir) throws Exception {
    return start(dir, "[127.0.0.1, \"::1\"]");
  }

  /** The secured server with {@code server.trustedProxies} set to {@code trustedProxies} (YAML). */
  static SecureServer start(Path dir, String trustedProxies) throws Exception {
    KeyPair key = ecKey();
    Path keyFile = dir.resolve("signing.pem");
    Files.writeString(keyFile, Pem.encode("PRIVATE KEY", key.getPrivate().getEncoded())
        + Pem.encode("PUBLIC KEY", key.getPublic().getEncoded()));
    StringBuilder users = new StringBuilder();
    Map<String, String> roles = new LinkedHashMap<>();
    roles.put("ci", "hosted-all");
    roles.put("reader", "hosted-read");
    roles.put("writeonly", "hosted-write");
    roles.put("alice", "a-owner");
    roles.put("groupie", "group-pusher");
    roles.put("grouponly", "group-only");
    roles.put("victim", "hosted-read");
    roles.forEach((user, role) -> users.append("    - {name: ").append(user).append(", passwordHash: \"")
        .append(PasswordHashes.hash(password(user).toCharArray(), 4)).append("\", roles: [").append(role).append("]}\n"));
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false, defaultRepository: docker-hosted, trustedProxies: PROXIES}
        blobStores: {default: {type: file, path: DATA}}
        security:
          realms: [docker-token, basic]
          anonymous: true
          token: {service: SERVICE, issuer: ISSUER, signingKey: KEY}
          throttle: {maxFailures: 3, window: 1m, lockout: 1m}
          users:
        USERS
          roles:
            - {name: hosted-all, privileges: ["docker-hosted:read", "docker-hosted:write", "docker-hosted:delete"]}
            - {name: hosted-read, privileges: ["docker-hosted:read"]}
            - {name: hosted-write, privileges: ["repo-a:write"]}
            - {name: a-owner, privileges: ["repo-a:*"]}
            - {name: group-pusher, privileges: ["all:read", "all:write", "repo-b:write"]}
            - {name: group-only, privileges: ["all:read", "all:write"]}
        repositories:
          - {name: docker-hosted, anonymousPull: true}
          - {name: repo-a, http: {port: 0}, hosts: [a.docker.lan]}
          - {name: repo-b, http: {port: 0}, hosts: [b.docker.lan]}
          - {name: all, type: group, http: {port: 0}, members: [repo-a, repo-b], writableMember: repo-b}
          - {name: basic-only, http: {port: 0}, realms: [basic], anonymousPull: true}
        """
        .replace("PROXIES", trustedProxies)
        .replace("DATA", dir.resolve("data").toString())
        .replace("SERVICE", SERVICE)
        .replace("ISSUER", ISSUER)
        .replace("KEY", keyFile.toString())
        .replace("USERS\n", users.toString());
    return new SecureServer(WharfServer.start(ConfigLoader.parse(yaml, "secure-server.yaml")), key);
  }

  static KeyPair ecKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  String main() {
    return server.url().toString();
  }

  String url(String repository) {
    return server.url(repository).toString();
  }

  @Override
  public void close() throws Exception {
    server.close();
  }

  // ---------------------------------------------------------------- raw HTTP

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  static String basic(String user) {
    return basic(user, password(user));
  }

  /** Sends a request; {@code headers} are name, value pairs. */
  static HttpResponse<String> send(String method, String url, byte[] body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      if (headers[i + 1] != null) {
        b.header(headers[i], headers[i + 1]);
      }
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A config blob and an image manifest that refers to it, with a unique seed. */
  record Image(byte[] config, byte[] manifest) {
    static Image random() {
      byte[] config = ("{\"seed\":\"" + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8);
      byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
          + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(config) + "\",\"size\":" + config.length
          + "},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
      return new Image(config, manifest);
    }

    String configDigest() {
      return Digest.sha256(config).value();
    }

    String digest() {
      return Digest.sha256(manifest).value();
    }
  }
}
