package io.wharf.core.model;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class DigestTest {
  private static final String EMPTY_SHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  private static final String HEX64 = "0123456789abcdef".repeat(4);
  private static final String HEX128 = HEX64 + HEX64;

  private static void assertDigestInvalid(String s, String messagePart) {
    assertThatThrownBy(() -> Digest.parse(s))
        .isInstanceOfSatisfying(RegistryException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_INVALID);
          assertThat(e.code().httpStatus()).isEqualTo(400);
          assertThat(e.getMessage()).contains(messagePart);
        });
  }

  @Test
  void parse_sha256_algorithmAndHex() {
    Digest d = Digest.parse("sha256:" + HEX64);

    assertThat(d.algorithm()).isEqualTo("sha256");
    assertThat(d.hex()).isEqualTo(HEX64);
    assertThat(d.value()).isEqualTo("sha256:" + HEX64);
    assertThat(d).hasToString("sha256:" + HEX64);
  }

  @Test
  void parse_sha512_supported() {
    Digest d = Digest.parse("sha512:" + HEX128);

    assertThat(d.algorithm()).isEqualTo("sha512");
    assertThat(d.hex()).hasSize(128);
  }

  @Test
  void parse_sameValue_equalAndSameHash() {
    assertThat(Digest.parse("sha256:" + HEX64)).isEqualTo(new Digest("sha256", HEX64))
        .hasSameHashCodeAs(new Digest("sha256", HEX64));
  }

  static Stream<String> malformed() {
    return Stream.of(
        "nocolon",
        "sha256",
        "sha256:",
        ":" + HEX64,
        "",
        "sha256:xyz",
        "sha256:" + HEX64.substring(1), // 63
        "sha256:" + HEX64 + "0", // 65
        "sha256:" + HEX64.toUpperCase(), // upper-case hex
        "sha512:" + HEX64, // too short for sha512
        "SHA256:" + HEX64, // upper-case algorithm: not in the grammar
        "sha256+:" + HEX64,
        "sha 256:" + HEX64,
        "sha256:" + HEX64 + ":" + HEX64,
        "sha256:" + HEX64.substring(2) + "/x");
  }

  @ParameterizedTest
  @MethodSource("malformed")
  void parse_malformed_digestInvalid(String s) {
    assertDigestInvalid(s, "digest");
  }

  @ParameterizedTest
  @ValueSource(strings = {"md5:0123456789abcdef0123456789abcdef", "sha1:0123456789abcdef0123456789abcdef01234567",
      "sha384:abc", "blake3:aa", "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
      "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"})
  void parse_grammaticalButUnsupported_digestInvalid(String s) {
    assertDigestInvalid(s, "unsupported");
  }

  @Test
  void parse_null_digestInvalid() {
    assertThatThrownBy(() -> Digest.parse(null))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_INVALID));
  }

  @Test
  void constructor_invalidParts_digestInvalid() {
    assertThatThrownBy(() -> new Digest(null, HEX64)).isInstanceOf(RegistryException.class);
    assertThatThrownBy(() -> new Digest("sha256", null)).isInstanceOf(RegistryException.class);
    assertThatThrownBy(() -> new Digest("sha256", "")).isInstanceOf(RegistryException.class);
  }

  @Test
  void parse_veryLongInput_messageShortened() {
    String s = "sha256:" + "z".repeat(100_000);

    assertThatThrownBy(() -> Digest.parse(s))
        .hasMessageContaining("...")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(1000));
  }

  @Test
  void sha256_emptyContent_knownValue() {
    assertThat(Digest.sha256(new byte[0]).value()).isEqualTo(EMPTY_SHA256);
    assertThat(Digest.sha256("").value()).isEqualTo(EMPTY_SHA256);
  }

  @Test
  void sha256_emptyJsonObject_ociEmptyDescriptorDigest() {
    assertThat(Digest.sha256("{}").value())
        .isEqualTo("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  }

  @Test
  void of_rawSha512_lowerCaseHex() throws Exception {
    byte[] raw = MessageDigest.getInstance("SHA-512").digest("hello".getBytes(UTF_8));

    Digest d = Digest.of("sha512", raw);

    assertThat(d.hex()).isEqualTo(HexFormat.of().formatHex(raw)).hasSize(128);
    assertThat(Digest.parse(d.value())).isEqualTo(d);
  }

  @Test
  void matches_sameContent_true() {
    byte[] content = "hello".getBytes(UTF_8);

    assertThat(Digest.sha256(content).matches(content)).isTrue();
  }

  @Test
  void matches_otherContent_false() {
    assertThat(Digest.sha256("hello").matches("hello!".getBytes(UTF_8))).isFalse();
  }

  @Test
  void matches_sha512_usesItsAlgorithm() throws Exception {
    byte[] content = "hello".getBytes(UTF_8);
    Digest d = Digest.of("sha512", MessageDigest.getInstance("SHA-512").digest(content));

    assertThat(d.matches(content)).isTrue();
    assertThat(d.matches("other".getBytes(UTF_8))).isFalse();
  }

  @Test
  void newMessageDigest_supportedAlgorithms_matchingJca() {
    assertThat(Digest.newMessageDigest("sha256").getAlgorithm()).isEqualTo("SHA-256");
    assertThat(Digest.newMessageDigest("sha512").getAlgorithm()).isEqualTo("SHA-512");
    assertThat(Digest.parse("sha512:" + HEX128).newMessageDigest().getAlgorithm()).isEqualTo("SHA-512");
  }

  @Test
  void newMessageDigest_unsupported_digestInvalid() {
    assertThatThrownBy(() -> Digest.newMessageDigest("md5"))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_INVALID));
  }

  @Test
  void isSupportedAlgorithm_onlySha256AndSha512() {
    assertThat(Digest.isSupportedAlgorithm("sha256")).isTrue();
    assertThat(Digest.isSupportedAlgorithm("sha512")).isTrue();
    assertThat(Digest.isSupportedAlgorithm("md5")).isFalse();
    assertThat(Digest.isSupportedAlgorithm("SHA256")).isFalse();
    assertThat(Digest.isSupportedAlgorithm(null)).isFalse();
  }

  @Test
  void compareTo_algorithmThenHex() {
    Digest a = Digest.parse("sha256:" + "0".repeat(64));
    Digest b = Digest.parse("sha256:" + "f".repeat(64));
    Digest c = Digest.parse("sha512:" + "0".repeat(128));

    assertThat(a).isLessThan(b);
    assertThat(b).isLessThan(c);
    assertThat(a.compareTo(Digest.parse(a.value()))).isZero();
  }
}
