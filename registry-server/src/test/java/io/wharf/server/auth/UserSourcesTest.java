package io.wharf.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.testing.MutableClock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The order of the user sources and the life of a directory identity, with a directory stand-in
 * (a map of users) so that every answer, and being down, can be set by the test. The real
 * directory is in {@link LdapRealmTest}.
 */
class UserSourcesTest {
  final MutableClock clock = new MutableClock();
  final Directory ldap = new Directory();
  final UserDirectory local = new UserDirectory(
      List.of(new UserDirectory.Entry("both", PasswordHashes.hash("local-pw".toCharArray(), 4), List.of("reader")),
          new UserDirectory.Entry("ci", PasswordHashes.hash("ci-pw".toCharArray(), 4), List.of("reader"))),
      Map.of("reader", Set.of(Privilege.parse("docker-hosted:read")),
          "pusher", Set.of(Privilege.parse("docker-hosted:write"))), List.of(), List.of());
  final UserSources sources = new UserSources(local, List.of(ldap), Duration.ofMinutes(5), clock);

  /** Users name → password, all with role pusher; {@code down} makes every call fail. */
  static final class Directory implements UserSource {
    final Map<String, String> users = new HashMap<>(Map.of("both", "ldap-pw", "dev", "dev-pw"));
    boolean down;
    int lookups;

    @Override
    public Realm realm() {
      return Realm.LDAP;
    }

    @Override
    public Result authenticate(String name, char[] password) throws SourceUnavailableException {
      if (down) {
        throw new SourceUnavailableException("connect error", null);
      }
      String pw = users.get(name);
      return pw == null ? UNKNOWN : pw.equals(new String(password))
          ? new Accepted(new Identity(name, Realm.LDAP, List.of("pusher"))) : new Refused("invalid username or password");
    }

    @Override
    public Optional<Identity> lookup(String name) throws SourceUnavailableException {
      lookups++;
      if (down) {
        throw new SourceUnavailableException("connect error", null);
      }
      return users.containsKey(name) ? Optional.of(new Identity(name, Realm.LDAP, List.of("pusher"))) : Optional.empty();
    }
  }

  boolean login(String name, String password) {
    return sources.login(name, password.toCharArray()).accepted();
  }

  @Test
  void localFirst_aNameInBoth_isDecidedByTheLocalUsers() {
    sources.order(List.of(Realm.DOCKER_TOKEN, Realm.BASIC, Realm.LDAP));

    assertThat(login("both", "local-pw")).isTrue();
    assertThat(login("both", "ldap-pw")).as("a wrong local password is not tried on the directory").isFalse();
    assertThat(login("dev", "dev-pw")).isTrue();
  }

  @Test
  void directoryFirst_aNameInBoth_isDecidedByTheDirectory_andGetsItsRoles() {
    sources.order(List.of(Realm.DOCKER_TOKEN, Realm.LDAP, Realm.BASIC));

    assertThat(login("both", "local-pw")).isFalse();
    assertThat(login("both", "ldap-pw")).isTrue();
    assertThat(sources.privileges("both")).containsExactly(Privilege.parse("docker-hosted:write"));
    assertThat(login("ci", "ci-pw")).as("unknown to the directory: the local users decide").isTrue();
  }

  @Test
  void directoryDown_localUsersLogIn_othersGet503_andNothingIsRefused() {
    sources.order(List.of(Realm.DOCKER_TOKEN, Realm.LDAP, Realm.BASIC));
    ldap.down = true;

    assertThat(login("ci", "ci-pw")).isTrue();
    assertThatThrownBy(() -> login("dev", "dev-pw")).isInstanceOfSatisfying(RegistryException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
  }

  @Test
  void anIdentity_isRemembered_thenConfirmedAgain_orForgotten() {
    sources.order(List.of(Realm.BASIC, Realm.LDAP));
    assertThat(login("dev", "dev-pw")).isTrue();
    ldap.down = true;

    assertThat(sources.exists("dev")).as("remembered: the directory is not asked").isTrue();
    assertThat(sources.privileges("dev")).containsExactly(Privilege.parse("docker-hosted:write"));
    assertThat(ldap.lookups).isZero();
    clock.advance(Duration.ofMinutes(5).plusSeconds(1));
    assertThat(sources.privileges("dev")).as("forgotten").isEmpty();
    assertThatThrownBy(() -> sources.exists("dev")).as("cannot be confirmed now").isInstanceOf(RegistryException.class);
    ldap.down = false;
    assertThat(sources.exists("dev")).as("confirmed again").isTrue();
    ldap.users.remove("dev");
    clock.advance(Duration.ofMinutes(6));
    assertThat(sources.exists("dev")).as("gone from the directory").isFalse();
  }

  @Test
  void unknownEverywhere_isAWrongPassword() {
    sources.order(List.of(Realm.BASIC, Realm.LDAP));

    UserSources.Login r = sources.login("nobody", "x".toCharArray());

    assertThat(r.accepted()).isFalse();
    assertThat(r.refusal()).isEqualTo("invalid username or password");
  }
}
