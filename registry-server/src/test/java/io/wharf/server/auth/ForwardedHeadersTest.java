package io.wharf.server.auth;

import static io.wharf.server.auth.DockerTokenClient.challenge;
import static io.wharf.server.auth.DockerTokenClient.errorCode;
import static io.wharf.server.auth.SecureServer.basic;
import static io.wharf.server.auth.SecureServer.send;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.wharf.server.auth.SecurityHttpTest.Captured;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code server.trustedProxies}: {@code Forwarded} and {@code X-Forwarded-*} decide the client
 * address, scheme, host and port only when the peer is a configured proxy. Both sides: a direct
 * client that makes up an address stays locked out and is logged as itself; behind a trusted
 * proxy, the forwarded address is the client (its own lockout, its own audit lines), and a hop
 * the client made up in front of the proxy's is not. (Throttle: 3 failures lock for a minute.)
 */
class ForwardedHeadersTest {
  @TempDir Path dir;
  SecureServer s;
  final Captured logs = new Captured();

  @BeforeEach
  void captureAudit() {
    logs.start();
    ((Logger) LoggerFactory.getLogger(Audit.LOGGER)).addAppender(logs);
  }

  @AfterEach
  void stop() throws Exception {
    ((Logger) LoggerFactory.getLogger(Audit.LOGGER)).detachAppender(logs);
    if (s != null) {
      s.close();
    }
  }

  List<String> audit() {
    return logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  HttpResponse<String> login(String user, String password, String... headers) throws Exception {
    String[] all = new String[headers.length + 2];
    all[0] = "Authorization";
    all[1] = basic(user, password);
    System.arraycopy(headers, 0, all, 2, headers.length);
    return send("GET", s.main() + "/v2/", null, all);
  }

  void lockOut(String... headers) throws Exception {
    for (int i = 0; i < 3; i++) { // a different user name each time: the address is what gets locked
      assertThat(login("guessed-" + i, "guess", headers).statusCode()).isEqualTo(401);
    }
  }

  // ---------------------------------------------------------------- a peer that is no trusted proxy

  @Test
  void untrustedPeer_lockedOut_aMadeUpForwardedAddressIsStillRefused() throws Exception {
    s = SecureServer.start(dir, "[10.0.0.0/8]"); // loopback is not a trusted proxy
    lockOut("X-Forwarded-For", "198.51.100.1");

    HttpResponse<String> xff = login("ci", SecureServer.password("ci"), "X-Forwarded-For", "198.51.100.99");
    HttpResponse<String> rfc7239 = login("ci", SecureServer.password("ci"), "Forwarded", "for=198.51.100.98");

    assertThat(xff.statusCode()).as("the right password, a made-up X-Forwarded-For").isEqualTo(429);
    assertThat(errorCode(xff)).isEqualTo("TOOMANYREQUESTS");
    assertThat(rfc7239.statusCode()).as("the right password, a made-up Forwarded").isEqualTo(429);
    assertThat(audit()).anySatisfy(l -> assertThat(l).startsWith("login-failed user=guessed-0 from=127.0.0.1 "));
    assertThat(audit()).anySatisfy(l -> assertThat(l).startsWith("locked-out user=ci from=127.0.0.1 "));
    assertThat(audit()).noneSatisfy(l -> assertThat(l).contains("198.51.100."));
  }

  @Test
  void untrustedPeer_forwardedSchemeHostAndPort_doNotShapeTheRealm() throws Exception {
    s = SecureServer.start(dir, "[]");

    HttpResponse<String> r = send("GET", s.main() + "/v2/", null, "X-Forwarded-Proto", "https",
        "X-Forwarded-Host", "evil.example.com", "X-Forwarded-Port", "8443",
        "Forwarded", "proto=https;host=evil.example.com");

    assertThat(challenge(r)).containsEntry("realm", s.main() + "/v2/token");
  }

  // ---------------------------------------------------------------- behind a trusted proxy

  @Test
  void trustedProxy_lockoutIsPerForwardedAddress_andTheAuditNamesIt() throws Exception {
    s = SecureServer.start(dir, "[127.0.0.1, \"::1\"]");
    lockOut("X-Forwarded-For", "203.0.113.80");

    HttpResponse<String> same = login("ci", SecureServer.password("ci"), "X-Forwarded-For", "203.0.113.80");
    // what nginx's $proxy_add_x_forwarded_for makes of a client that sends its own header:
    // the made-up hop on the left, the address the proxy saw on the right
    HttpResponse<String> prefixed = login("ci", SecureServer.password("ci"),
        "X-Forwarded-For", "198.51.100.7, 203.0.113.80");
    HttpResponse<String> other = login("ci", SecureServer.password("ci"), "X-Forwarded-For", "203.0.113.81");

    assertThat(same.statusCode()).isEqualTo(429);
    assertThat(prefixed.statusCode()).as("a hop the client made up does not count").isEqualTo(429);
    assertThat(other.statusCode()).as("another client behind the proxy").isEqualTo(200);
    assertThat(audit()).anySatisfy(l -> assertThat(l).startsWith("login-failed user=guessed-0 from=203.0.113.80 "));
    assertThat(audit()).anySatisfy(l -> assertThat(l).startsWith("locked-out user=ci from=203.0.113.80 "));
    assertThat(audit()).anySatisfy(l -> assertThat(l).startsWith("login user=ci from=203.0.113.81 "));
    assertThat(audit()).noneSatisfy(l -> assertThat(l).contains("from=127.0.0.1"));
  }

  @Test
  void trustedProxies_inAChain_areSkipped_rfc7239AsWell() throws Exception {
    s = SecureServer.start(dir, "[127.0.0.1, \"::1\", 10.0.0.0/8]");

    login("ci", SecureServer.password("ci"), "X-Forwarded-For", "203.0.113.90, 10.1.2.3");
    login("ci", SecureServer.password("ci"), "Forwarded", "for=198.51.100.5, for=\"[2001:db8::17]:4711\";proto=https");

    assertThat(audit()).anySatisfy(l -> assertThat(l).startsWith("login user=ci from=203.0.113.90 "));
    assertThat(audit()).anySatisfy(l -> assertThat(l).startsWith("login user=ci from=[2001:db8:0:0:0:0:0:17] "));
  }
}
