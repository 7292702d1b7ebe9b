package io.wharf.server.auth;

import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.OperationType;
import com.unboundid.util.ssl.KeyStoreKeyManager;
import com.unboundid.util.ssl.SSLUtil;
import com.unboundid.util.ssl.TrustAllTrustManager;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;

/**
 * A company directory for the LDAP tests: UnboundID's in-memory server on loopback, with a plain
 * listener that offers StartTLS and an LDAPS listener, both with a certificate of a {@link TestCa}.
 * Searches need the service account's bind, as most directories want.
 *
 * <pre>
 * dc=example,dc=com
 *   cn=wharf                    the service account (password {@value #SERVICE_PASSWORD})
 *   ou=people                   uid=NAME, password NAME-pw
 *     dev       member of developers           (role pusher)
 *     viewer    member of readers              (role puller)
 *     guesser   member of readers              (for the throttle)
 *     locked    member of developers, nsAccountLock: true
 *     lister    memberOf: cn=readers,...       (found through the attribute, not the group search)
 *   ou=groups   groupOfNames developers, readers
 * </pre>
 */
final class TestDirectory implements AutoCloseable {
  static final String BASE = "dc=example,dc=com";
  static final String SERVICE_DN = "cn=wharf," + BASE;
  static final String SERVICE_PASSWORD = "service-pw";
  static final String PEOPLE = "ou=people," + BASE;
  static final String GROUPS = "ou=groups," + BASE;

  final InMemoryDirectoryServer server;
  final TestCa ca;
  private final int ldapPort;

  private TestDirectory(InMemoryDirectoryServer server, TestCa ca, int ldapPort) {
    this.server = server;
    this.ca = ca;
    this.ldapPort = ldapPort;
  }

  static TestDirectory start(Path dir) throws Exception {
    TestCa ca = TestCa.create(dir.resolve("ca"));
    SSLUtil serverSsl = new SSLUtil(new KeyStoreKeyManager(ca.serverPkcs12().toFile(),
        TestCa.P12_PASSWORD.toCharArray(), "PKCS12", "server"), new TrustAllTrustManager());
    InMemoryDirectoryServerConfig config = new InMemoryDirectoryServerConfig(BASE);
    config.addAdditionalBindCredentials(SERVICE_DN, SERVICE_PASSWORD);
    config.setAuthenticationRequiredOperationTypes(OperationType.SEARCH);
    config.setSchema(null); // nsAccountLock and memberOf without their schemas
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    // a fixed port, so that the directory comes back where Wharf looks after a stop
    int port = freePort();
    config.setListenerConfigs(
        InMemoryListenerConfig.createLDAPConfig("ldap", loopback, port, serverSsl.createSSLSocketFactory()),
        InMemoryListenerConfig.createLDAPSConfig("ldaps", loopback, 0, serverSsl.createSSLServerSocketFactory(), null));
    InMemoryDirectoryServer server = new InMemoryDirectoryServer(config);
    server.add("dn: " + BASE, "objectClass: domain", "dc: example");
    server.add("dn: " + PEOPLE, "objectClass: organizationalUnit", "ou: people");
    server.add("dn: " + GROUPS, "objectClass: organizationalUnit", "ou: groups");
    for (String user : new String[] {"dev", "viewer", "guesser", "locked", "lister"}) {
      server.add("dn: " + userDn(user), "objectClass: inetOrgPerson", "uid: " + user, "cn: " + user, "sn: " + user,
          "userPassword: " + user + "-pw");
    }
    server.modify(userDn("locked"), new Modification(ModificationType.ADD, "nsAccountLock", "true"));
    server.modify(userDn("lister"), new Modification(ModificationType.ADD, "memberOf", "cn=readers," + GROUPS));
    server.add("dn: cn=developers," + GROUPS, "objectClass: groupOfNames", "cn: developers",
        "member: " + userDn("dev"), "member: " + userDn("locked"));
    server.add("dn: cn=readers," + GROUPS, "objectClass: groupOfNames", "cn: readers",
        "member: " + userDn("viewer"), "member: " + userDn("guesser"));
    server.startListening();
    return new TestDirectory(server, ca, port);
  }

  static String userDn(String user) {
    return "uid=" + user + "," + PEOPLE;
  }

  static String password(String user) {
    return user + "-pw";
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  String ldapUrl() {
    return "ldap://127.0.0.1:" + ldapPort;
  }

  /** By host name, as the certificate names it ({@code localhost}, {@code 127.0.0.1}). */
  String ldapsUrl() {
    return "ldaps://localhost:" + server.getListenPort("ldaps");
  }

  private boolean stopped;

  /** Stops answering: every connection is closed and no new one is taken. */
  synchronized void stop() {
    server.shutDown(true);
    stopped = true;
  }

  /** Answers again, on the same plain port, if stopped. */
  synchronized void restart() throws Exception {
    if (stopped) {
      server.startListening();
      stopped = false;
    }
  }

  void setPassword(String user, String password) throws Exception {
    server.modify(userDn(user), new Modification(ModificationType.REPLACE, "userPassword", password));
  }

  @Override
  public void close() {
    server.shutDown(true);
  }
}
