package io.wharf.server.auth;

import static io.wharf.server.auth.SecureServer.basic;
import static io.wharf.server.auth.SecureServer.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.core.testing.MutableClock;
import io.wharf.server.auth.ldap.LdapSource;
import io.wharf.server.http.RegistryServlet;
import io.wharf.storage.memory.InMemoryDriver;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The LDAP login cache and the remembered identities, driven by a clock the test moves: the
 * registry is embedded (a {@link RegistryServlet} with a {@link RegistrySecurity} built as an
 * embedder builds it), because a server started from a config file runs on the system clock.
 * Login cache 5 minutes, identities remembered 5 minutes, tokens 10 minutes (longer than the
 * identity, to see an identity re-confirmed under a live token).
 */
class LdapLoginCacheTest {
  @TempDir static Path dir;
  static TestDirectory directory;
  static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
  static Server jetty;
  static UserSources sources;
  static String base;

  @BeforeAll
  static void start() throws Exception {
    directory = TestDirectory.start(dir);
    LdapSource ldap = new LdapSource(new LdapSource.Settings(List.of(URI.create(directory.ldapUrl())), false, null,
        TestDirectory.SERVICE_DN, TestDirectory.SERVICE_PASSWORD.toCharArray(), TestDirectory.PEOPLE, "(uid={0})",
        null, TestDirectory.GROUPS, "(member={0})", "cn", Map.of("developers", List.of("pusher")), List.of(),
        Duration.ofSeconds(5), Duration.ofSeconds(10), 2, Duration.ofMinutes(5)), CLOCK);
    UserDirectory users = new UserDirectory(List.of(new UserDirectory.Entry("ci",
        PasswordHashes.hash("ci-pw".toCharArray(), 4), List.of("pusher"))),
        Map.of("pusher", java.util.Set.of(Privilege.parse("builds:*"))), List.of(), List.of());
    RegistrySecurity security = RegistrySecurity.builder()
        .realms(List.of(Realm.DOCKER_TOKEN, Realm.BASIC, Realm.LDAP))
        .users(users)
        .sources(sources = new UserSources(users, List.of(ldap), Duration.ofMinutes(5), CLOCK))
        .tokens(new TokenService(SigningKey.generate(), "wharf", "wharf", Duration.ofMinutes(10), Duration.ofHours(1),
            CLOCK))
        .anonymous(false)
        .throttle(new LoginThrottle(0, Duration.ofMinutes(1), Duration.ofMinutes(1), CLOCK))
        .build();
    jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(new ServletHolder(new RegistryServlet(
        Registry.of(HostedRepository.builder("builds", new InMemoryDriver()).build()), security)), "/*");
    jetty.setHandler(context);
    jetty.start();
    base = "http://127.0.0.1:" + connector.getLocalPort();
  }

  @AfterAll
  static void stop() throws Exception {
    jetty.stop();
    sources.close();
    directory.close();
  }

  @AfterEach
  void directoryBack() throws Exception {
    directory.restart();
    directory.setPassword("dev", "dev-pw");
    CLOCK.advance(Duration.ofHours(1)); // every test starts with nothing cached or remembered
  }

  static int status(String user, String password) throws Exception {
    return send("GET", base + "/v2/", null, "Authorization", basic(user, password)).statusCode();
  }

  @Test
  void aCachedLogin_needsNoDirectory_untilTheCacheExpires() throws Exception {
    assertThat(status("dev", "dev-pw")).isEqualTo(200);
    directory.stop();

    assertThat(status("dev", "dev-pw")).as("a cache hit asks no directory").isEqualTo(200);
    CLOCK.advance(Duration.ofMinutes(4));
    assertThat(status("dev", "dev-pw")).isEqualTo(200);
    CLOCK.advance(Duration.ofMinutes(1).plusSeconds(1));
    assertThat(status("dev", "dev-pw")).as("expired: the directory is asked, and it is down").isEqualTo(503);
    assertThat(status("ci", "ci-pw")).as("local users do not need it").isEqualTo(200);

    directory.restart();
    assertThat(status("dev", "dev-pw")).isEqualTo(200);
  }

  @Test
  void theCache_isKeyedByThePassword_andHoldsNoFailures() throws Exception {
    assertThat(status("dev", "dev-pw")).isEqualTo(200);

    assertThat(status("dev", "other-pw")).as("another password misses the cache").isEqualTo(401);
    directory.setPassword("dev", "other-pw");
    assertThat(status("dev", "other-pw")).as("the failure was not cached").isEqualTo(200);
    assertThat(status("dev", "dev-pw")).as("the new password's login took the old one's place").isEqualTo(401);
  }

  @Test
  void aChangedPassword_isNoticedAfterTheCacheTtl_atTheLatest() throws Exception {
    assertThat(status("dev", "dev-pw")).isEqualTo(200);
    directory.setPassword("dev", "other-pw");

    assertThat(status("dev", "dev-pw")).as("still cached (documented: up to cacheTtl)").isEqualTo(200);
    CLOCK.advance(Duration.ofMinutes(5).plusSeconds(1));
    assertThat(status("dev", "dev-pw")).as("after cacheTtl the directory decides").isEqualTo(401);
  }

  @Test
  void aTokensIdentity_isReconfirmedWithTheDirectory_afterItExpires() throws Exception {
    directory.server.add("dn: " + TestDirectory.userDn("temp"), "objectClass: inetOrgPerson", "uid: temp", "cn: temp",
        "sn: temp", "userPassword: temp-pw");
    directory.server.modify("cn=developers," + TestDirectory.GROUPS,
        new com.unboundid.ldap.sdk.Modification(com.unboundid.ldap.sdk.ModificationType.ADD, "member",
            TestDirectory.userDn("temp")));
    DockerTokenClient temp = new DockerTokenClient("temp", "temp-pw");
    DockerTokenClient dev = new DockerTokenClient("dev", "dev-pw");
    SecureServer.Image image = SecureServer.Image.random();
    assertThat(temp.push(base + "/v2/team/app", "1.0", image).statusCode()).isEqualTo(201);
    assertThat(dev.login(base).statusCode()).isEqualTo(200);
    directory.server.delete(TestDirectory.userDn("temp"));
    String tag = base + "/v2/team/app/manifests/1.0";

    assertThat(bearer(temp, tag)).as("remembered: the directory is not asked").isEqualTo(200);
    CLOCK.advance(Duration.ofMinutes(6));
    assertThat(bearer(temp, tag)).as("forgotten and not confirmed: the token ends before its expiry").isEqualTo(401);
    assertThat(bearer(dev, base + "/v2/")).as("forgotten but confirmed again").isEqualTo(200);
  }

  static int bearer(DockerTokenClient client, String url) throws Exception {
    HttpResponse<String> r = send("HEAD", url, null, "Authorization", "Bearer " + client.token(),
        "Accept", io.wharf.core.model.MediaTypes.OCI_MANIFEST);
    return r.statusCode();
  }
}
