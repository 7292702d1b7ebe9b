package io.wharf.server.auth;

import io.wharf.core.error.ErrorCode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The users of every source, in the order of the active realms: the local users
 * ({@link UserDirectory}: config, htpasswd, management API; the realm {@code basic}, Nexus's
 * "Local Authenticating Realm") and the other sources ({@link UserSource}, e.g. {@code ldap}).
 *
 * <p><b>Who decides a login.</b> The sources are asked in the order the realms list them (the
 * local users first when {@code basic} is not listed): the first source that knows the name
 * decides, so a wrong password is a wrong password and no other source is tried. A source that
 * cannot answer (a directory down) is skipped; if no later source knows the name, the login
 * fails with 503 {@code UNAVAILABLE}, not 401: the password may well be right. So local users
 * keep working while the directory is down.
 *
 * <p><b>Identities.</b> Users of other sources exist in Wharf only while it remembers them: a
 * successful login remembers the identity and its roles for {@code remember} (at least a bearer
 * token's lifetime), so the tokens it got and {@link #privileges} know it. Past that, a token's
 * user is re-confirmed with the source ({@link UserSource#lookup}) or refused: an identity not
 * re-confirmed expires. A refused login forgets it at once.
 *
 * <p>Thread-safe; the order changes at run time ({@link #order}).
 */
public final class UserSources implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UserSources.class);
  private static final int MAX_REMEMBERED = 10_000;
  static final String WRONG = "invalid username or password";

  /** What a login came to: {@code identity} when it succeeded, else {@code refusal} (for the audit log). */
  public record Login(Identity identity, String refusal) {
    boolean accepted() {
      return identity != null;
    }
  }

  private record Remembered(Identity identity, Instant until) {}

  private final UserDirectory local;
  private final Map<Realm, UserSource> others;
  private final Duration remember;
  private final Clock clock;
  private final Map<String, Remembered> identities = new ConcurrentHashMap<>();
  private volatile List<Realm> order = List.of(Realm.BASIC);

  /**
   * @param others the sources besides the local users, at most one per realm
   * @param remember how long an identity of another source is known after it was confirmed
   * @param local the local users (config, htpasswd files, management API)
   * @param clock the clock remembered identities expire by
   * @throws IllegalArgumentException if two sources serve one realm, or one serves basic or docker-token
   */
  public UserSources(UserDirectory local, List<UserSource> others, Duration remember, Clock clock) {
    this.local = Objects.requireNonNull(local);
    Map<Realm, UserSource> byRealm = new LinkedHashMap<>();
    for (UserSource s : others) {
      if (s.realm() == Realm.BASIC || s.realm() == Realm.DOCKER_TOKEN || byRealm.putIfAbsent(s.realm(), s) != null) {
        throw new IllegalArgumentException("a second source for realm " + s.realm().configName());
      }
    }
    this.others = Map.copyOf(byRealm);
    this.remember = Objects.requireNonNull(remember);
    this.clock = Objects.requireNonNull(clock);
  }

  /** Only the local users. */
  static UserSources localOnly(UserDirectory local) {
    return new UserSources(local, List.of(), Duration.ZERO, Clock.systemUTC());
  }

  /**
   * Whether {@code realm} can be active: one that takes credentials, or a source configured here.
   *
   * @param realm the realm
   * @return true when the realm may be listed in {@code security.realms}
   */
  public boolean has(Realm realm) {
    return realm.presentsCredentials() || others.containsKey(realm);
  }

  /**
   * Takes the order of the sources from {@code realms}: {@code basic} stands for the local users,
   * which come first if it is missing; realms without a source here are left out.
   */
  void order(List<Realm> realms) {
    List<Realm> out = new ArrayList<>();
    for (Realm r : realms) {
      if (r == Realm.BASIC || others.containsKey(r)) {
        out.add(r);
      }
    }
    if (!out.contains(Realm.BASIC)) {
      out.add(0, Realm.BASIC);
    }
    this.order = List.copyOf(out);
  }

  /**
   * Checks {@code name}'s {@code password} with the sources in order.
   *
   * @throws io.wharf.core.error.RegistryException {@code UNAVAILABLE} (503) when a source that may
   *     know the name could not be asked and no later one knows it
   * @param name the user name
   * @param password the password given
   * @return the identity the first source that knows {@code name} confirms, or the refusal
   */
  public Login login(String name, char[] password) {
    UserSource.SourceUnavailableException down = null;
    Realm downRealm = null;
    for (Realm r : order) {
      if (r == Realm.BASIC) {
        if (local.exists(name)) {
          return local.authenticate(name, password) ? new Login(new Identity(name, Realm.BASIC, List.of()), null)
              : new Login(null, WRONG);
        }
        continue;
      }
      UserSource.Result result;
      try {
        result = others.get(r).authenticate(name, password);
      } catch (UserSource.SourceUnavailableException e) {
        LOG.warn("security: realm {} could not check a login: {}", r.configName(), e.getMessage());
        down = e;
        downRealm = r;
        continue;
      }
      if (result instanceof UserSource.Accepted a) {
        remember(a.identity());
        return new Login(a.identity(), null);
      }
      if (result instanceof UserSource.Refused f) {
        identities.remove(name);
        return new Login(null, f.reason());
      }
    }
    if (down != null) {
      throw unavailable(downRealm, down);
    }
    PasswordHashes.verifyDummy(password); // an unknown name takes as long as a local user's
    return new Login(null, WRONG);
  }

  /**
   * Whether {@code name} is a user now (a bearer or refresh token's subject): a local user, or an
   * identity confirmed within {@code remember}, or one the sources confirm again now.
   *
   * @throws io.wharf.core.error.RegistryException {@code UNAVAILABLE} (503) when its identity
   *     expired and its source cannot be asked
   * @param name the user name
   * @return true while the user may use its tokens
   */
  public boolean exists(String name) {
    if (fresh(name).isPresent() || local.exists(name)) {
      return true;
    }
    Remembered before = identities.get(name);
    for (Realm r : order) {
      if (r == Realm.BASIC || before != null && before.identity().realm() != r) {
        continue;
      }
      try {
        Optional<Identity> now = others.get(r).lookup(name);
        if (now.isPresent()) {
          remember(now.get());
          return true;
        }
      } catch (UserSource.SourceUnavailableException e) {
        if (before != null) {
          throw unavailable(r, e);
        }
        LOG.warn("security: realm {} could not confirm user {}: {}", r.configName(), Audit.clean(name), e.getMessage());
      }
    }
    identities.remove(name);
    return false;
  }

  /**
   * The privileges of {@code name}: of its remembered identity's roles, else of the local user; else none.
   *
   * @param name the user name
   * @return the privileges, resolved through the local roles
   */
  public Set<Privilege> privileges(String name) {
    Optional<Identity> known = fresh(name);
    return known.isPresent() ? local.privilegesOf(known.get().roles()) : local.privileges(name);
  }

  /**
   * The identity of another source that {@code name} logged in with, while it is remembered.
   *
   * @param name the user name
   * @return the identity, or empty for a local user or one whose identity expired
   */
  public Optional<Identity> remembered(String name) {
    return fresh(name);
  }

  private Optional<Identity> fresh(String name) {
    Remembered r = identities.get(name);
    return r != null && r.until().isAfter(clock.instant()) ? Optional.of(r.identity()) : Optional.empty();
  }

  private void remember(Identity identity) {
    remember(identity, remember);
  }

  private void remember(Identity identity, Duration duration) {
    if (identities.size() >= MAX_REMEMBERED) {
      Instant now = clock.instant();
      identities.values().removeIf(r -> !r.until().isAfter(now));
      if (identities.size() >= MAX_REMEMBERED) {
        identities.clear(); // they are confirmed again on their next request
      }
    }
    identities.put(identity.name(), new Remembered(identity, clock.instant().plus(duration)));
  }

  /**
   * Makes {@code identity}, vouched for by a single sign-on, a user with its roles for
   * {@code duration} (a UI session's life): nothing can confirm it again afterwards. Refused
   * (false) when the name is a local user's or another realm's identity is remembered under it:
   * a provider must not hand out the name of the registry's own administrator.
   */
  boolean signedIn(Identity identity, Duration duration) {
    Optional<Identity> other = fresh(identity.name());
    if (local.exists(identity.name()) || other.isPresent() && other.get().realm() != identity.realm()) {
      return false;
    }
    remember(identity, duration);
    return true;
  }

  /**
   * Makes {@code identity} a user again, as an API token of a single sign-on user vouches for it:
   * the token holds the identity of the user's latest sign-in (nothing can ask the provider about
   * a user who is not there). Remembered for at least {@code atLeast}, never shorter than it
   * already is (a UI session's identity keeps its life). False when the name is now a local
   * user's or another realm's: see {@link #signedIn}.
   */
  boolean vouched(Identity identity, Duration atLeast) {
    Instant now = clock.instant();
    Remembered before = identities.get(identity.name());
    Optional<Identity> other = before != null && before.until().isAfter(now) ? Optional.of(before.identity())
        : Optional.empty();
    if (local.exists(identity.name()) || other.isPresent() && other.get().realm() != identity.realm()) {
      return false;
    }
    Instant until = now.plus(atLeast.compareTo(remember) < 0 ? remember : atLeast);
    if (other.isPresent() && before.until().isAfter(until)) {
      if (other.get().equals(identity)) {
        return true;
      }
      until = before.until();
    }
    remember(identity, Duration.between(now, until));
    return true;
  }

  /** Closes the other sources (their connection pools); when the server stops. */
  @Override
  public void close() {
    others.values().forEach(UserSource::close);
  }

  private static RuntimeException unavailable(Realm realm, UserSource.SourceUnavailableException e) {
    return ErrorCode.UNAVAILABLE.exception("the user directory (realm " + realm.configName()
        + ") cannot be reached, so this login cannot be checked now: " + e.getMessage() + "; try again later");
  }
}
