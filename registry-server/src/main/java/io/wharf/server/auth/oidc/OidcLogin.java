package io.wharf.server.auth.oidc;

import com.nimbusds.jwt.JWTClaimsSet;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sign-in with an OpenID Connect provider, the authorization code flow with PKCE, in two steps:
 * {@link #begin} remembers a new login (its {@code state}, {@code nonce} and PKCE verifier) and
 * says where to send the browser; {@link #complete} takes what the provider sent back, trades the
 * code for an ID token, checks it and maps its claims to a user and roles.
 *
 * <p>Each started login can complete once: its state is forgotten on first use, so a replayed
 * callback URL (from a browser history or a log) is refused, and after
 * {@link OidcSettings#loginTimeout()} it expires. Pending logins live in memory: behind a load
 * balancer the callback must reach the node that began the login (the UI's sessions need sticky
 * routing anyway). Bounded: at most {@value #MAX_PENDING} pending logins, the oldest expired go
 * first. Thread-safe.
 */
public final class OidcLogin {
  static final int MAX_PENDING = 10_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Where to send the browser, and the state that identifies this login. */
  public record Started(URI authorizationUri, String state) {}

  /** A completed sign-in: who, and the page of the UI the user wanted before signing in. */
  public record Completed(OidcIdentity identity, String next) {}

  private record Pending(String nonce, String verifier, URI redirectUri, String next, Instant expires) {}

  private final OidcProvider provider;
  private final Clock clock;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();

  /**
   * Logins with {@code provider}; none pending yet.
   *
   * @param provider the provider, its discovery document read
   * @param clock the clock pending logins expire by
   */
  public OidcLogin(OidcProvider provider, Clock clock) {
    this.provider = Objects.requireNonNull(provider);
    this.clock = Objects.requireNonNull(clock);
  }

  /**
   * Starts a login that will come back to {@code redirectUri} (Wharf's callback, as registered at
   * the provider), to continue at {@code next}.
   *
   * @param redirectUri Wharf's callback URL
   * @param next the UI page to go to once signed in
   * @return the provider's authorization URL to send the browser to, with the new login's state
   */
  public Started begin(URI redirectUri, String next) {
    Instant now = clock.instant();
    if (pending.size() >= MAX_PENDING) {
      pending.values().removeIf(p -> p.expires().isBefore(now));
      if (pending.size() >= MAX_PENDING) {
        pending.clear(); // a flood of abandoned logins: those people start again
      }
    }
    String state = random();
    String nonce = random();
    String verifier = random() + random(); // 86 characters (RFC 7636: 43 to 128)
    pending.put(state, new Pending(nonce, verifier, redirectUri, next, now.plus(provider.settings().loginTimeout())));
    return new Started(provider.authorizationUri(redirectUri, state, nonce, challenge(verifier)), state);
  }

  /**
   * Finishes the login that {@code state} names with what the provider sent to the callback.
   *
   * @param error the callback's {@code error} parameter (the user declined, the client is not
   *     allowed ...), or null
   * @throws OidcException for an unknown, used or expired state, a refusal by the provider, or an
   *     ID token that fails any check
   * @param state the callback's {@code state} parameter
   * @param code the callback's {@code code} parameter, exchanged for the ID token
   * @return who signed in, and where to go next
   */
  public Completed complete(String state, String code, String error) throws OidcException {
    Pending p = state == null ? null : pending.remove(state);
    if (p == null) {
      throw new OidcException("this sign-in is unknown or was already used; start again");
    }
    if (p.expires().isBefore(clock.instant())) {
      throw new OidcException("this sign-in took too long; start again");
    }
    if (error != null && !error.isEmpty()) {
      throw new OidcException("the provider did not sign you in (" + error + ")");
    }
    if (code == null || code.isEmpty()) {
      throw new OidcException("the provider sent no authorization code");
    }
    String idToken = provider.exchange(code, p.verifier(), p.redirectUri());
    JWTClaimsSet claims = provider.verifyIdToken(idToken, p.nonce(), clock.instant());
    return new Completed(identity(claims, provider.settings()), p.next());
  }

  /** The user and roles the claims stand for, as the settings map them. */
  static OidcIdentity identity(JWTClaimsSet claims, OidcSettings settings) throws OidcException {
    Object name = claims.getClaim(settings.usernameClaim());
    if (!(name instanceof String user) || user.isBlank()) {
      throw new OidcException("the ID token has no \"" + settings.usernameClaim()
          + "\" claim to name the user by (set security.oidc.usernameClaim)");
    }
    List<String> groups = new ArrayList<>();
    Object g = settings.groupsClaim() == null ? null : claims.getClaim(settings.groupsClaim());
    if (g instanceof String one) {
      groups.add(one);
    } else if (g instanceof Collection<?> many) {
      many.forEach(x -> groups.add(String.valueOf(x)));
    }
    Set<String> roles = new LinkedHashSet<>(settings.defaultRoles());
    for (String group : groups) {
      roles.addAll(settings.groupRoles().getOrDefault(group, List.of()));
    }
    return new OidcIdentity(user.strip(), claims.getSubject(), groups, List.copyOf(roles));
  }

  /** How many logins wait for their callback (for tests and metrics). */
  int pending() {
    return pending.size();
  }

  private static String challenge(String verifier) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }

  private static String random() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
