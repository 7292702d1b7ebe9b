package io.wharf.testkit;

import io.wharf.server.auth.AccessControl;
import io.wharf.server.auth.LoginThrottle;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.auth.Privilege;
import io.wharf.server.auth.Realm;
import io.wharf.server.auth.RegistrySecurity;
import io.wharf.server.auth.SigningKey;
import io.wharf.server.auth.TokenService;
import io.wharf.server.auth.UserDirectory;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one place the kit meets {@code io.wharf.server.auth}: the server's own security, set up
 * for a test. One user with every privilege, Docker's token protocol (tokens signed by a key
 * made for this registry, timed by the kit's {@link TestClock}) and Basic, no login throttling
 * (a test of wrong passwords must not lock itself out).
 */
final class KitSecurity {
  /** bcrypt's minimum cost: the hash is checked once per login, and tests log in a lot. */
  private static final int TEST_COST = 4;
  static final String SERVICE = "wharf-testkit";

  private KitSecurity() {}

  static AccessControl create(String user, String password, boolean anonymousPull, Collection<String> repositories,
      Clock clock) {
    String hash = PasswordHashes.hash(password.toCharArray(), TEST_COST);
    UserDirectory users = new UserDirectory(List.of(new UserDirectory.Entry(user, hash, List.of("admin"))),
        Map.of("admin", Set.of(Privilege.parse("*:*"))), List.of(), List.of());
    TokenService tokens = new TokenService(SigningKey.generate(), SERVICE, SERVICE, Duration.ofMinutes(5),
        Duration.ofHours(1), clock);
    RegistrySecurity.Builder b = RegistrySecurity.builder()
        .realms(List.of(Realm.DOCKER_TOKEN, Realm.BASIC))
        .users(users)
        .tokens(tokens)
        .anonymous(anonymousPull)
        .throttle(new LoginThrottle(0, Duration.ofMinutes(1), Duration.ofMinutes(1), clock));
    if (anonymousPull) {
      repositories.forEach(b::anonymousPull);
    }
    return b.build();
  }
}
