package io.wharf.server.auth;

import static io.wharf.server.auth.DockerTokenClient.errorCode;
import static io.wharf.server.auth.SecureServer.basic;
import static io.wharf.server.auth.SecureServer.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigException;
import io.wharf.server.config.ConfigLoader;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The {@code ldap} realm over real HTTP: a Wharf started from a config file with
 * {@code security.ldap}, against UnboundID's in-memory directory ({@link TestDirectory}), with the
 * clients' own ways to log in (the Docker token dance, Basic credentials) and Nexus's realm API.
 * The login cache is off here ({@code cacheTtl: 0s}), so every login asks the directory;
 * {@link LdapLoginCacheTest} tests the cache.
 */
class LdapRealmTest {
  @TempDir static Path dir;
  static TestDirectory directory;
  static WharfServer wharf;
  static final SecurityHttpTest.Captured AUDIT = new SecurityHttpTest.Captured();

  @BeforeAll
  static void start() throws Exception {
    AUDIT.start();
    ((Logger) LoggerFactory.getLogger(Audit.LOGGER)).addAppender(AUDIT);
    directory = TestDirectory.start(dir);
    wharf = WharfServer.start(ConfigLoader.parse(config(dir.resolve("main"), "urls: [" + directory.ldapUrl() + "]"),
        "ldap.yaml"));
  }

  @AfterAll
  static void stop() throws Exception {
    wharf.close();
    directory.close();
    ((Logger) LoggerFactory.getLogger(Audit.LOGGER)).detachAppender(AUDIT);
  }

  /**
   * Local users {@code ci} (push) and {@code admin} (nx-admin); directory groups developers →
   * pusher, readers → puller; the directory's connection as {@code connection} (YAML keys).
   */
  static String config(Path data, String connection) {
    return """
        server: {bind: 127.0.0.1, port: 0, accessLog: false, trustedProxies: [127.0.0.1]}
        blobStores: {default: {type: file, path: DATA}}
        security:
          realms: [docker-token, basic, ldap]
          anonymous: false
          throttle: {maxFailures: 3, window: 1m, lockout: 1m}
          users:
            - {name: ci, passwordHash: "CI_HASH", roles: [pusher]}
            - {name: admin, passwordHash: "ADMIN_HASH", roles: [nx-admin]}
          roles:
            - {name: pusher, privileges: ["docker-hosted:read", "docker-hosted:write"]}
            - {name: puller, privileges: ["docker-hosted:read"]}
            - {name: nx-admin, privileges: ["*:*"]}
          ldap:
            CONNECTION
            bindDn: "SERVICE_DN"
            bindPassword: SERVICE_PASSWORD
            userBaseDn: "PEOPLE"
            groupAttribute: memberOf
            groupBaseDn: "GROUPS"
            groupRoles: {developers: [pusher], "cn=readers,GROUPS": [puller]}
            cacheTtl: 0s
        repositories:
          - {name: docker-hosted}
        """
        .replace("DATA", data.toString())
        .replace("CI_HASH", PasswordHashes.hash("ci-pw".toCharArray(), 4))
        .replace("ADMIN_HASH", PasswordHashes.hash("admin-pw".toCharArray(), 4))
        .replace("CONNECTION", connection)
        .replace("SERVICE_DN", TestDirectory.SERVICE_DN)
        .replace("SERVICE_PASSWORD", TestDirectory.SERVICE_PASSWORD)
        .replace("PEOPLE", TestDirectory.PEOPLE)
        .replace("GROUPS", TestDirectory.GROUPS);
  }

  static String main() {
    return wharf.url().toString();
  }

  static DockerTokenClient directoryUser(String user) {
    return new DockerTokenClient(user, TestDirectory.password(user));
  }

  static HttpResponse<String> base(String user, String password, String from) throws Exception {
    return send("GET", main() + "/v2/", null, "Authorization", basic(user, password), "X-Forwarded-For", from);
  }

  boolean audited(String text) {
    return AUDIT.list.stream().anyMatch(e -> e.getFormattedMessage().contains(text));
  }

  // ---------------------------------------------------------------- users and groups

  @Test
  void directoryUser_inAGroupMappedToPush_pushesThroughTheTokenDance_andPullsItBack() throws Exception {
    DockerTokenClient dev = directoryUser("dev");
    SecureServer.Image image = SecureServer.Image.random();

    HttpResponse<String> put = dev.push(main() + "/v2/team/ldap-pushed", "1.0", image);

    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    HttpResponse<String> get = dev.send("GET", main() + "/v2/team/ldap-pushed/manifests/1.0", null,
        "Accept", MediaTypes.OCI_MANIFEST);
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(audited("login user=dev")).isTrue();
  }

  @Test
  void directoryUser_whoseGroupMapsToPullOnly_pullsButMayNotPush() throws Exception {
    SecureServer.Image image = SecureServer.Image.random();
    assertThat(directoryUser("dev").push(main() + "/v2/team/readable", "1.0", image).statusCode()).isEqualTo(201);
    DockerTokenClient viewer = directoryUser("viewer");

    HttpResponse<String> pull = viewer.send("GET", main() + "/v2/team/readable/manifests/1.0", null,
        "Accept", MediaTypes.OCI_MANIFEST);
    HttpResponse<String> push = viewer.push(main() + "/v2/team/readable", "2.0", SecureServer.Image.random());

    assertThat(pull.statusCode()).isEqualTo(200);
    assertThat(push.statusCode()).as(push.body()).isEqualTo(403);
    assertThat(errorCode(push)).isEqualTo("DENIED");
  }

  @Test
  void groupsFromTheMemberOfAttribute_mapToRolesToo() throws Exception {
    assertThat(base("lister", "lister-pw", "198.51.100.20").statusCode()).isEqualTo(200);
    HttpResponse<String> tags = send("GET", main() + "/v2/team/none/tags/list", null,
        "Authorization", basic("lister", "lister-pw"));
    HttpResponse<String> push = send("POST", main() + "/v2/team/none/blobs/uploads/", null,
        "Authorization", basic("lister", "lister-pw"));

    assertThat(tags.statusCode()).as("read granted through memberOf: the image is just unknown").isEqualTo(404);
    assertThat(push.statusCode()).isEqualTo(403);
  }

  @Test
  void unknownUser_is401() throws Exception {
    HttpResponse<String> r = base("nobody", "nobody-pw", "198.51.100.21");

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(errorCode(r)).isEqualTo("UNAUTHORIZED");
  }

  // ---------------------------------------------------------------- refusals

  @Test
  void wrongPassword_is401_andCountsForTheThrottle() throws Exception {
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> wrong = base("guesser", "wrong", "198.51.100." + (30 + i));
      assertThat(wrong.statusCode()).isEqualTo(401);
      assertThat(errorCode(wrong)).isEqualTo("UNAUTHORIZED");
    }

    HttpResponse<String> right = base("guesser", "guesser-pw", "198.51.100.40");

    assertThat(right.statusCode()).as("the user is locked out after 3 failures").isEqualTo(429);
    assertThat(audited("login-failed user=guesser from=198.51.100.30 via=basic reason=\"invalid username or password\""))
        .isTrue();
  }

  @Test
  void emptyPassword_is401_notAnAnonymousBind() throws Exception {
    HttpResponse<String> r = base("viewer", "", "198.51.100.22");

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(audited("login-failed user=viewer from=198.51.100.22 via=basic reason=\"empty password\"")).isTrue();
  }

  @Test
  void lockedAccount_withTheRightPassword_is401_andAudited() throws Exception {
    HttpResponse<String> r = base("locked", "locked-pw", "198.51.100.23");
    HttpResponse<String> token = new DockerTokenClient("locked", "locked-pw").login(main());

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(token.statusCode()).isEqualTo(401);
    assertThat(audited("login-failed user=locked from=198.51.100.23 via=basic"
        + " reason=\"account locked or disabled in the directory\"")).isTrue();
  }

  // ---------------------------------------------------------------- the directory down

  @Test
  void directoryDown_is503ForDirectoryUsers_whileLocalUsersAndIssuedTokensWork() throws Exception {
    DockerTokenClient dev = directoryUser("dev");
    assertThat(dev.login(main()).statusCode()).isEqualTo(200);
    directory.stop();
    try {
      HttpResponse<String> basicLogin = base("viewer", "viewer-pw", "198.51.100.50");
      HttpResponse<String> tokenLogin = directoryUser("viewer").login(main());
      HttpResponse<String> local = base("ci", "ci-pw", "198.51.100.51");
      HttpResponse<String> withToken = dev.send("GET", main() + "/v2/", null);

      assertThat(basicLogin.statusCode()).as(basicLogin.body()).isEqualTo(503);
      assertThat(errorCode(basicLogin)).isEqualTo("UNAVAILABLE");
      assertThat(basicLogin.body()).contains("realm ldap");
      assertThat(tokenLogin.statusCode()).isEqualTo(503);
      assertThat(local.statusCode()).isEqualTo(200);
      assertThat(withToken.statusCode()).as("the token's identity is remembered").isEqualTo(200);
      assertThat(base("viewer", "viewer-pw", "198.51.100.50").statusCode())
          .as("503s do not count for the throttle").isEqualTo(503);
    } finally {
      directory.restart();
    }
    assertThat(base("viewer", "viewer-pw", "198.51.100.52").statusCode()).as("the pool reconnects").isEqualTo(200);
  }

  // ---------------------------------------------------------------- TLS

  @Test
  void ldaps_withTheCaAsTrustStore_logsIn() throws Exception {
    try (WharfServer tls = WharfServer.start(ConfigLoader.parse(config(dir.resolve("ldaps"),
        "urls: " + directory.ldapsUrl() + "\n    trustStore: " + directory.ca.caCertificate()), "ldaps.yaml"))) {
      assertThat(send("GET", tls.url() + "/v2/", null, "Authorization", basic("dev", "dev-pw")).statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void startTls_withTheCaAsTrustStore_logsIn() throws Exception {
    try (WharfServer tls = WharfServer.start(ConfigLoader.parse(config(dir.resolve("starttls"),
        "urls: " + directory.ldapUrl() + "\n    startTls: true\n    trustStore: " + directory.ca.caCertificate()),
        "starttls.yaml"))) {
      assertThat(send("GET", tls.url() + "/v2/", null, "Authorization", basic("dev", "dev-pw")).statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void ldaps_withACertificateNotTrusted_is503() throws Exception {
    try (WharfServer tls = WharfServer.start(ConfigLoader.parse(config(dir.resolve("untrusted"),
        "urls: " + directory.ldapsUrl()), "untrusted.yaml"))) {
      HttpResponse<String> r = send("GET", tls.url() + "/v2/", null, "Authorization", basic("dev", "dev-pw"));

      assertThat(r.statusCode()).as("the JVM's trust store does not know the test CA").isEqualTo(503);
      assertThat(send("GET", tls.url() + "/v2/", null, "Authorization", basic("ci", "ci-pw")).statusCode())
          .isEqualTo(200);
    }
  }

  // ---------------------------------------------------------------- management API and config

  @Test
  void realmApi_listsLdapRealm_andDeactivatingItEndsDirectoryLogins() throws Exception {
    String admin = basic("admin", "admin-pw");
    String realms = main() + "/service/rest/v1/security/realms/";
    assertThat(send("GET", realms + "available", null, "Authorization", admin).body())
        .contains("{\"id\":\"LdapRealm\",\"name\":\"LDAP Realm\"}");
    assertThat(send("GET", realms + "active", null, "Authorization", admin).body())
        .isEqualTo("[\"DockerToken\",\"NexusAuthenticatingRealm\",\"LdapRealm\"]");
    HttpResponse<String> onlyLdap = send("PUT", realms + "active", "[\"LdapRealm\"]".getBytes(),
        "Authorization", admin, "Content-Type", "application/json");
    assertThat(onlyLdap.statusCode()).isEqualTo(400);
    assertThat(onlyLdap.body()).contains("source of users");
    try {
      HttpResponse<String> off = send("PUT", realms + "active", "[\"DockerToken\",\"NexusAuthenticatingRealm\"]".getBytes(),
          "Authorization", admin, "Content-Type", "application/json");
      assertThat(off.statusCode()).as(off.body()).isEqualTo(204);

      assertThat(base("viewer", "viewer-pw", "198.51.100.60").statusCode()).isEqualTo(401);
    } finally {
      send("PUT", realms + "active", "[\"DockerToken\",\"NexusAuthenticatingRealm\",\"LdapRealm\"]".getBytes(),
          "Authorization", admin, "Content-Type", "application/json");
    }
    assertThat(base("viewer", "viewer-pw", "198.51.100.61").statusCode()).isEqualTo(200);
  }

  @Test
  void effectiveConfig_redactsTheBindPassword() throws Exception {
    HttpResponse<String> r = send("GET", main() + "/wharf/api/v1/config", null, "Authorization", basic("admin", "admin-pw"));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"bindDn\":\"" + TestDirectory.SERVICE_DN + "\"")
        .contains("\"bindPassword\":\"**redacted**\"").doesNotContain(TestDirectory.SERVICE_PASSWORD);
  }

  @Test
  void config_ldapRealmWithoutItsSection_isAnError() {
    assertThatThrownBy(() -> ConfigLoader.parse("""
        security: {realms: [docker-token, basic, ldap]}
        repositories: [{name: docker-hosted}]
        """, "x.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("security.realms: ldap needs a security.ldap section");
  }

  @Test
  void config_badLdapSettings_areErrorsNamingTheKey() {
    String base = config(dir.resolve("bad"), "urls: URL");
    assertThatThrownBy(() -> ConfigLoader.parse(base.replace("URL", "http://x"), "x.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("security.ldap.urls: \"http://x\" is not an ldap://");
    assertThatThrownBy(() -> ConfigLoader.parse(base.replace("URL", "ldap://x").replace("[puller]", "[nope]"), "x.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("unknown role \"nope\"");
    assertThatThrownBy(() -> ConfigLoader.parse(base.replace("URL", "ldaps://x\n    startTls: true"), "x.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("security.ldap.startTls");
    assertThatThrownBy(() -> ConfigLoader.parse(base.replace("URL", "ldap://x")
        .replace("\n    bindPassword: " + TestDirectory.SERVICE_PASSWORD, ""), "x.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("security.ldap.bindPassword: missing");
    assertThatThrownBy(() -> ConfigLoader.parse(base.replace("URL", "ldap://x")
        .replace("repositories:\n  - {name: docker-hosted}", "repositories:\n  - {name: docker-hosted, realms: [basic, ldap]}"),
        "x.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ldap applies to the whole server");
  }
}
