package io.wharf.server.it;

import io.wharf.server.auth.TestCa;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Debian's OpenLDAP server ({@code slapd}, package {@code slapd}) as a company directory of our
 * own: a generated {@code slapd.conf} and an mdb database in a directory of the test, loaded with
 * {@code slapadd}, served on a free port of 127.0.0.1 in the foreground ({@code -d 0}) as the
 * current user, with StartTLS from a {@link TestCa} certificate. Nothing system-wide is touched;
 * {@link #close()} stops it.
 *
 * <pre>
 * dc=example,dc=com
 *   cn=wharf        the service account (password service-pw), may read people and groups
 *   ou=people       uid=NAME, password NAME-pw: dev (developers), viewer (readers)
 *   ou=groups       groupOfNames developers, readers
 * </pre>
 */
final class Slapd implements AutoCloseable {
  static final Path BINARY = Path.of("/usr/sbin/slapd");
  static final Path SLAPADD = Path.of("/usr/sbin/slapadd");
  static final String BASE = "dc=example,dc=com";
  static final String SERVICE_DN = "cn=wharf," + BASE;
  static final String SERVICE_PASSWORD = "service-pw";

  private final Process process;
  private final int port;

  private Slapd(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static boolean isInstalled() {
    return Files.isExecutable(BINARY) && Files.isExecutable(SLAPADD);
  }

  static Slapd start(Path dir, TestCa ca) throws IOException {
    Files.createDirectories(dir.resolve("db"));
    Path config = Files.writeString(dir.resolve("slapd.conf"), """
        include /etc/ldap/schema/core.schema
        include /etc/ldap/schema/cosine.schema
        include /etc/ldap/schema/inetorgperson.schema
        modulepath /usr/lib/ldap
        moduleload back_mdb
        pidfile {{DIR}}/slapd.pid
        argsfile {{DIR}}/slapd.args
        TLSCACertificateFile {{CA}}
        TLSCertificateFile {{CERT}}
        TLSCertificateKeyFile {{KEY}}
        database mdb
        maxsize 16777216
        suffix "{{BASE}}"
        rootdn "cn=admin,{{BASE}}"
        rootpw admin-pw
        directory {{DIR}}/db
        access to attrs=userPassword by anonymous auth by * none
        access to * by dn.exact="{{SERVICE}}" read by self read by * none
        """.replace("{{DIR}}", dir.toString()).replace("{{BASE}}", BASE).replace("{{SERVICE}}", SERVICE_DN)
        .replace("{{CA}}", ca.caCertificate().toString()).replace("{{CERT}}", ca.serverCertificate().toString())
        .replace("{{KEY}}", ca.serverKey().toString()), StandardCharsets.UTF_8);
    StringBuilder ldif = new StringBuilder("""
        dn: BASE
        objectClass: domain
        dc: example

        dn: SERVICE
        objectClass: person
        cn: wharf
        sn: wharf
        userPassword: PASSWORD

        dn: ou=people,BASE
        objectClass: organizationalUnit
        ou: people

        dn: ou=groups,BASE
        objectClass: organizationalUnit
        ou: groups

        dn: cn=developers,ou=groups,BASE
        objectClass: groupOfNames
        cn: developers
        member: uid=dev,ou=people,BASE

        dn: cn=readers,ou=groups,BASE
        objectClass: groupOfNames
        cn: readers
        member: uid=viewer,ou=people,BASE
        """.replace("BASE", BASE).replace("SERVICE", SERVICE_DN).replace("PASSWORD", SERVICE_PASSWORD));
    for (String user : List.of("dev", "viewer")) {
      ldif.append("""

          dn: uid=USER,ou=people,BASE
          objectClass: inetOrgPerson
          uid: USER
          cn: USER
          sn: USER
          userPassword: USER-pw
          """.replace("USER", user).replace("BASE", BASE));
    }
    Path data = Files.writeString(dir.resolve("data.ldif"), ldif, StandardCharsets.UTF_8);
    Command.run(List.of(SLAPADD.toString(), "-f", config.toString(), "-l", data.toString()), java.util.Map.of(), dir);
    IOException last = null;
    for (int attempt = 1; attempt <= 3; attempt++) { // a free port may be taken before slapd binds it
      int port = ServerProcess.freePort();
      Path log = dir.resolve("slapd-" + port + ".log");
      Process p = new ProcessBuilder(BINARY.toString(), "-f", config.toString(), "-h", "ldap://127.0.0.1:" + port + "/",
          "-d", "0")
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (p.isAlive() && System.nanoTime() < deadline) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
          return new Slapd(p, port);
        } catch (IOException notYet) {
          ServerProcess.sleep(100);
        }
      }
      Command.stop(p, Duration.ofSeconds(5));
      last = new IOException("slapd did not listen on " + port + ":\n" + ServerProcess.tail(log, 4000));
    }
    throw last;
  }

  String url() {
    return "ldap://127.0.0.1:" + port;
  }

  @Override
  public void close() {
    Command.stop(process, Duration.ofSeconds(10));
  }
}
