package io.wharf.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.SignedJWT;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TokenServiceTest {
  static final SigningKey KEY = SigningKey.generate();
  static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");
  static final TokenService.Access PULL = new TokenService.Access("repository", "team/app", List.of("pull"), "hosted");

  static TokenService at(Instant now) {
    return at(KEY, "wharf", now);
  }

  static TokenService at(SigningKey key, String service, Instant now) {
    return new TokenService(key, "issuer", service, Duration.ofMinutes(5), Duration.ofDays(7),
        Clock.fixed(now, ZoneOffset.UTC));
  }

  @Test
  void issue_thenVerify_givesSubjectAndAccess() throws Exception {
    TokenService.Issued t = at(T0).issue("ci", List.of(PULL));

    TokenService.Verified v = at(T0.plusSeconds(60)).verify(t.token());

    assertThat(v.subject()).isEqualTo("ci");
    assertThat(v.access()).containsExactly(PULL);
    assertThat(v.covers("hosted", "repository", "team/app", "pull")).isTrue();
    assertThat(v.covers("hosted", "repository", "team/app", "push")).isFalse();
    assertThat(v.covers("other", "repository", "team/app", "pull")).isFalse();
    assertThat(t.expiresIn()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void theToken_isAnEs256JwtWithTheDockerClaims() throws Exception {
    SignedJWT jwt = SignedJWT.parse(at(T0).issue(null, List.of(PULL)).token());

    assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("ES256");
    assertThat(jwt.getHeader().getKeyID()).isEqualTo(KEY.keyId());
    assertThat(jwt.getJWTClaimsSet().getIssuer()).isEqualTo("issuer");
    assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly("wharf");
    assertThat(jwt.getJWTClaimsSet().getSubject()).isNull();
    assertThat(jwt.getJWTClaimsSet().getExpirationTime().toInstant()).isEqualTo(T0.plusSeconds(300));
    assertThat(jwt.getJWTClaimsSet().getClaim("access")).isEqualTo(List.of(
        Map.of("type", "repository", "name", "team/app", "actions", List.of("pull"), "repository", "hosted")));
  }

  @Test
  void verify_afterExpiry_fails() {
    String token = at(T0).issue("ci", List.of(PULL)).token();
    assertThatThrownBy(() -> at(T0.plusSeconds(300 + 31)).verify(token))
        .isInstanceOf(TokenService.InvalidTokenException.class).hasMessageContaining("Expired");
  }

  @Test
  void verify_otherKeyOrService_fails() {
    String token = at(T0).issue("ci", List.of(PULL)).token();
    assertThatThrownBy(() -> at(SigningKey.generate(), "wharf", T0).verify(token))
        .isInstanceOf(TokenService.InvalidTokenException.class);
    assertThatThrownBy(() -> at(KEY, "other", T0).verify(token))
        .isInstanceOf(TokenService.InvalidTokenException.class).hasMessageContaining("aud");
  }

  @Test
  void refreshTokens_andAccessTokens_areNotInterchangeable() throws Exception {
    TokenService s = at(T0);
    String refresh = s.issueRefresh("ci");
    String access = s.issue("ci", List.of()).token();

    assertThat(s.verifyRefresh(refresh)).isEqualTo("ci");
    assertThatThrownBy(() -> s.verify(refresh)).hasMessageContaining("refresh");
    assertThatThrownBy(() -> s.verifyRefresh(access)).hasMessageContaining("not a refresh token");
    assertThat(at(T0.plus(Duration.ofDays(6))).verifyRefresh(refresh)).isEqualTo("ci");
  }

  @Test
  void rsaKeys_signRs256() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    SigningKey rsa = SigningKey.of(g.generateKeyPair());
    String token = at(rsa, "wharf", T0).issue("ci", List.of(PULL)).token();

    assertThat(SignedJWT.parse(token).getHeader().getAlgorithm().getName()).isEqualTo("RS256");
    assertThat(at(rsa, "wharf", T0).verify(token).subject()).isEqualTo("ci");
    assertThatThrownBy(() -> at(T0).verify(token)).isInstanceOf(TokenService.InvalidTokenException.class);
  }

  @Test
  void signingKey_smallRsaOrOtherCurves_areRefused() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(1024);
    assertThatThrownBy(() -> SigningKey.of(rsa.generateKeyPair())).hasMessageContaining("2048");
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new java.security.spec.ECGenParameterSpec("secp384r1"));
    assertThatThrownBy(() -> SigningKey.of(ec.generateKeyPair())).hasMessageContaining("P-256");
  }
}
