package io.wharf.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link ByteRange}: RFC 9110 single ranges of a blob of 100 bytes unless said otherwise. */
class ByteRangeTest {
  private static final long SIZE = 100;

  @ParameterizedTest(name = "{0} -> {1}-{2}")
  @CsvSource({
      "bytes=0-9, 0, 9",
      "bytes=0-0, 0, 0",
      "bytes=5-, 5, 99",
      "bytes=0-, 0, 99",
      "bytes=99-, 99, 99",
      "bytes=99-99, 99, 99",
      "bytes=-5, 95, 99",
      "bytes=-1, 99, 99",
      "bytes=-100, 0, 99",
      "bytes=-500, 0, 99", // suffix longer than the blob: all of it
      "bytes=90-1000, 90, 99", // end beyond the blob: clipped
      "bytes=0-99, 0, 99",
      "'bytes= 10 - 19 ', 10, 19"})
  void parse_satisfiable_range(String header, long start, long end) {
    ByteRange r = ByteRange.parse(header, SIZE);

    assertThat(r).isEqualTo(new ByteRange(start, end));
    assertThat(r.length()).isEqualTo(end - start + 1);
  }

  @Test
  void parse_noHeader_null() {
    assertThat(ByteRange.parse(null, SIZE)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "bytes", "bytes=", "bytes=-", "items=0-9", "bytes=a-b", "bytes=0-9,20-29", "0-9",
      "bytes=9-0", "bytes=5-4", "bytes 0-9"})
  void parse_malformedOrMultiple_nullSoWholeBlobIsServed(String header) {
    assertThat(ByteRange.parse(header, SIZE)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"bytes=100-", "bytes=100-200", "bytes=1000-", "bytes=5000-5009", "bytes=-0",
      "bytes=99999999999999999999-"})
  void parse_unsatisfiable_rangeInvalidWithSize(String header) {
    assertThatThrownBy(() -> ByteRange.parse(header, SIZE))
        .isInstanceOfSatisfying(RegistryException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.RANGE_INVALID);
          assertThat(e.code().httpStatus()).isEqualTo(416);
          assertThat(e.detail()).isEqualTo(Map.of("size", SIZE));
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {"bytes=0-", "bytes=0-0", "bytes=-1"})
  void parse_emptyBlob_unsatisfiable(String header) {
    assertThatThrownBy(() -> ByteRange.parse(header, 0))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RANGE_INVALID));
  }

  @Test
  void parse_oneByteBlob_wholeRange() {
    assertThat(ByteRange.parse("bytes=0-", 1)).isEqualTo(new ByteRange(0, 0));
    assertThat(ByteRange.parse("bytes=-1", 1)).isEqualTo(new ByteRange(0, 0));
  }
}
