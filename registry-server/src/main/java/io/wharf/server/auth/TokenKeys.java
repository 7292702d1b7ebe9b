package io.wharf.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import io.wharf.core.storage.StorageDriver;
import java.io.IOException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The keys of the token service: the one that signs now and those that still verify.
 *
 * <p><b>Pinned</b> ({@link #pinned}): one key from {@code security.token.signingKey}; it never
 * rotates (the operator owns the file).
 *
 * <p><b>Rotating</b> ({@link #rotating}): keys kept in a blob store's driver, one object per key
 * under {@value #DIR}{@code <kid>.json} (the private key as a JWK, and when it was made), so every
 * node sharing that store signs and verifies with the same set. The newest key signs. A key that
 * is older than {@code rotateEvery} when a token is to be signed is replaced by a new one (and
 * {@link #rotate} replaces it on demand). A replaced key still verifies for as long as a token it
 * signed can be valid: the longest token lifetime, plus {@link #RELOAD} (a node may not have seen
 * the new key for that long and signed with the old one), plus clock skew; then it is dropped
 * from the set and deleted from storage.
 *
 * <p>Writing one object per key needs no locking between nodes: two nodes rotating at the same
 * moment make two keys, both verify everywhere, and the newer (then the greater kid) signs on
 * every node. A node re-reads the set every {@link #RELOAD}, and at once (at most once a second)
 * when a token names a key it does not know. Thread-safe.
 */
public final class TokenKeys {
  private static final Logger LOG = LoggerFactory.getLogger(TokenKeys.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  /** Where the rotating keys live in their driver. */
  static final String DIR = "/docker/registry/v2/_wharf/token-keys/";
  /** How often a node re-reads the key set from storage. */
  static final Duration RELOAD = Duration.ofMinutes(1);
  private static final Duration SKEW = Duration.ofSeconds(30);
  private static final long UNKNOWN_KID_RELOAD_NANOS = 1_000_000_000L;

  /** A key and when it was made. */
  private record Entry(SigningKey key, Instant created) {}

  /** A key as the JWKS and the management API describe it. */
  public record KeyInfo(String kid, String algorithm, Instant created, Instant retiredAt, Instant dropAfter) {}

  /** How a key is stored. */
  private record Stored(String created, Map<String, Object> jwk) {}

  private final StorageDriver driver;
  private final Duration rotateEvery;
  private final Duration keep;
  private final Clock clock;
  private volatile List<Entry> keys = List.of();
  private volatile Instant loadedAt = Instant.MIN;
  /** When a token with an unknown kid last made this node re-read the set (real time: a rate limit). */
  private volatile long unknownReloadNanos = System.nanoTime() - UNKNOWN_KID_RELOAD_NANOS;

  private TokenKeys(StorageDriver driver, Duration rotateEvery, Duration keep, Clock clock) {
    this.driver = driver;
    this.rotateEvery = rotateEvery;
    this.keep = keep;
    this.clock = clock;
  }

  /**
   * One key that never rotates.
   *
   * @param key the key that signs and verifies
   * @return the keys
   */
  public static TokenKeys pinned(SigningKey key) {
    TokenKeys k = new TokenKeys(null, null, Duration.ZERO, Clock.systemUTC());
    k.keys = List.of(new Entry(Objects.requireNonNull(key), Instant.EPOCH));
    return k;
  }

  /**
   * Keys that rotate every {@code rotateEvery}, kept in {@code driver} (null: in this process
   * only, for a server without a blob store of its own).
   *
   * @param longestToken the longest lifetime of a token (access or refresh): how long a
   *     replaced key must still verify
   * @param adopt a key to start with when the store has none yet (the key file of older
   *     versions), or null
   * @param driver where the keys are shared between the nodes, or null
   * @param rotateEvery how long a key signs before a new one replaces it
   * @param clock the clock keys age by
   * @return the keys, with those {@code driver} holds already
   * @throws IllegalArgumentException if {@code rotateEvery} is not positive
   */
  public static TokenKeys rotating(StorageDriver driver, Duration rotateEvery, Duration longestToken, Clock clock,
      SigningKey adopt) {
    if (rotateEvery.isZero() || rotateEvery.isNegative()) {
      throw new IllegalArgumentException("rotateEvery must be longer than 0");
    }
    TokenKeys k = new TokenKeys(driver, rotateEvery, longestToken.plus(RELOAD).plus(SKEW), clock);
    k.load();
    if (k.keys.isEmpty() && adopt != null) {
      k.add(new Entry(adopt, clock.instant()));
      LOG.info("token keys: adopted {} as the first key of the rotating set", adopt);
    }
    return k;
  }

  /** Whether the keys rotate (false: a pinned key). */
  boolean rotates() {
    return rotateEvery != null;
  }

  /** The key that signs now; replaced first if it is older than {@code rotateEvery}. */
  SigningKey signing() {
    if (!rotates()) {
      return keys.get(0).key();
    }
    reloadIfStale();
    List<Entry> now = keys;
    Entry newest = now.isEmpty() ? null : now.get(now.size() - 1);
    if (newest == null || !clock.instant().isBefore(newest.created().plus(rotateEvery))) {
      synchronized (this) {
        load(); // another node may have rotated already
        List<Entry> again = keys;
        newest = again.isEmpty() ? null : again.get(again.size() - 1);
        if (newest == null || !clock.instant().isBefore(newest.created().plus(rotateEvery))) {
          return rotateNow().key();
        }
      }
    }
    return newest.key();
  }

  /**
   * Makes a new key the signing key now; the others verify until their tokens expire.
   *
   * @throws IllegalStateException for a pinned key
   * @return the new key
   */
  public synchronized KeyInfo rotate() {
    if (!rotates()) {
      throw new IllegalStateException("the signing key is pinned by security.token.signingKey; replace that file"
          + " to change it (tokens signed by the old key then fail)");
    }
    Entry e = rotateNow();
    return info(keys).stream().filter(i -> i.kid().equals(e.key().keyId())).findFirst().orElseThrow();
  }

  private synchronized Entry rotateNow() {
    Instant now = clock.instant();
    List<Entry> before = keys;
    if (!before.isEmpty() && !now.isAfter(before.get(before.size() - 1).created())) {
      now = before.get(before.size() - 1).created().plusMillis(1); // newer than the one it replaces, always
    }
    Entry e = new Entry(SigningKey.generate(), now);
    add(e);
    LOG.info("token keys: {} signs from now on", e.key());
    return e;
  }

  /** The keys that verify now, oldest first. */
  List<SigningKey> verifying() {
    reloadIfStale();
    List<SigningKey> out = new ArrayList<>();
    live(keys).forEach(e -> out.add(e.key()));
    return out;
  }

  /**
   * The public halves of the keys that verify now: the JWKS document.
   *
   * @return the public keys, with their {@code kid} and algorithm
   */
  public JWKSet publicSet() {
    List<JWK> out = new ArrayList<>();
    verifying().forEach(k -> out.add(k.jwk().toPublicJWK()));
    return new JWKSet(out);
  }

  /** Re-reads the set at once if a token names key {@code kid} this node does not know (at most once a second). */
  void unknownKey(String kid) {
    long now = System.nanoTime();
    if (rotates() && now - unknownReloadNanos >= UNKNOWN_KID_RELOAD_NANOS) {
      unknownReloadNanos = now;
      LOG.debug("token keys: a token names key {}; re-reading the set", kid);
      load();
    }
  }

  /**
   * The keys that verify now, with when they were made, replaced and will be dropped.
   *
   * @return the keys, oldest first
   */
  public List<KeyInfo> describe() {
    reloadIfStale();
    return info(live(keys));
  }

  private List<KeyInfo> info(List<Entry> entries) {
    List<KeyInfo> out = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      Instant retired = i + 1 < entries.size() ? entries.get(i + 1).created() : null;
      out.add(new KeyInfo(e.key().keyId(), e.key().algorithm().getName(), rotates() ? e.created() : null, retired,
          retired == null ? null : retired.plus(keep)));
    }
    return out;
  }

  /** The entries whose tokens may still be valid: the newest, and those replaced less than {@code keep} ago. */
  private List<Entry> live(List<Entry> all) {
    Instant now = clock.instant();
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      if (i + 1 == all.size() || now.isBefore(all.get(i + 1).created().plus(keep))) {
        out.add(all.get(i));
      }
    }
    return out;
  }

  private void reloadIfStale() {
    if (rotates() && !clock.instant().isBefore(loadedAt.plus(RELOAD))) {
      load();
    }
  }

  /** Reads the set from storage (keeping what this node has), and deletes the keys no token can need. */
  private synchronized void load() {
    Map<String, Entry> byKid = new LinkedHashMap<>();
    keys.forEach(e -> byKid.put(e.key().keyId(), e));
    if (driver != null) {
      try {
        for (String path : driver.list(DIR.substring(0, DIR.length() - 1))) {
          String file = path.substring(path.lastIndexOf('/') + 1);
          if (!file.endsWith(".json") || byKid.containsKey(file.substring(0, file.length() - 5))) {
            continue;
          }
          read(path).ifPresent(e -> byKid.put(e.key().keyId(), e));
        }
      } catch (IOException e) {
        LOG.warn("token keys: cannot list {}: {}; verifying with the keys known so far", DIR, e.toString());
      }
    }
    List<Entry> all = sorted(byKid.values());
    List<Entry> live = live(all);
    for (Entry gone : all) {
      if (!live.contains(gone)) {
        delete(gone);
      }
    }
    keys = live;
    loadedAt = clock.instant();
  }

  private Optional<Entry> read(String path) {
    try {
      Optional<byte[]> bytes = driver.getContent(path);
      if (bytes.isEmpty()) {
        return Optional.empty();
      }
      Stored s = JSON.readValue(bytes.get(), Stored.class);
      JWK jwk = JWK.parse(s.jwk());
      java.security.KeyPair pair = jwk instanceof ECKey ec ? ec.toKeyPair()
          : jwk instanceof RSAKey rsa ? rsa.toKeyPair() : null;
      if (pair == null || pair.getPrivate() == null) {
        LOG.warn("token keys: {} holds no private EC or RSA key; ignored", path);
        return Optional.empty();
      }
      return Optional.of(new Entry(SigningKey.of(pair), Instant.parse(s.created())));
    } catch (IOException | ParseException | JOSEException | RuntimeException e) {
      LOG.warn("token keys: cannot read {}: {}; ignored", path, e.toString());
      return Optional.empty();
    }
  }

  private void add(Entry e) {
    if (driver != null) {
      Stored s = new Stored(e.created().toString(), e.key().jwk().toJSONObject());
      try {
        driver.putContent(DIR + e.key().keyId() + ".json", JSON.writeValueAsBytes(s));
      } catch (IOException x) {
        throw new IllegalStateException("cannot store the new token signing key in " + DIR + ": " + x.getMessage(), x);
      }
    }
    List<Entry> next = new ArrayList<>(keys);
    next.add(e);
    keys = sorted(next);
  }

  private void delete(Entry e) {
    LOG.info("token keys: dropped {}; no token it signed can still be valid", e.key());
    if (driver != null) {
      try {
        driver.delete(DIR + e.key().keyId() + ".json");
      } catch (IOException x) {
        LOG.warn("token keys: cannot delete {}{}.json: {}", DIR, e.key().keyId(), x.toString());
      }
    }
  }

  private static List<Entry> sorted(java.util.Collection<Entry> entries) {
    List<Entry> out = new ArrayList<>(entries);
    out.sort(Comparator.comparing(Entry::created).thenComparing(e -> e.key().keyId()));
    return List.copyOf(out);
  }

  /** For messages: what signs now ({@code ES256 key <kid>}). */
  String describeSigning() {
    List<Entry> now = keys;
    return now.isEmpty() ? "no key yet" : now.get(now.size() - 1).key().algorithm() + " key "
        + now.get(now.size() - 1).key().keyId();
  }
}
