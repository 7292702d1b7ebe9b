package io.wharf.server.http;

import io.wharf.core.error.ErrorCode;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A single byte range of a blob, from an HTTP {@code Range} header (RFC 9110 section 14.1.2):
 * {@code bytes=a-b}, {@code bytes=a-} or {@code bytes=-n}. Multi-range requests are served whole
 * (allowed by the RFC); a range beyond the end is {@code RANGE_INVALID} (416).
 */
record ByteRange(long start, long endInclusive) {
  private static final Pattern SINGLE = Pattern.compile("bytes=\\s*(\\d*)\\s*-\\s*(\\d*)\\s*");

  long length() {
    return endInclusive - start + 1;
  }

  /**
   * The range asked for in {@code header}, clipped to {@code size}; {@code null} for no header,
   * a malformed one or several ranges (serve everything).
   */
  static ByteRange parse(String header, long size) {
    if (header == null) {
      return null;
    }
    Matcher m = SINGLE.matcher(header);
    if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
      return null;
    }
    try {
      if (m.group(1).isEmpty()) { // suffix: the last n bytes
        long n = Long.parseLong(m.group(2));
        if (n == 0 || size == 0) {
          throw unsatisfiable(header, size);
        }
        return new ByteRange(Math.max(0, size - n), size - 1);
      }
      long start = Long.parseLong(m.group(1));
      Long last = m.group(2).isEmpty() ? null : Long.parseLong(m.group(2));
      if (last != null && last < start) {
        return null; // syntactically invalid: ignore the header, as the RFC says
      }
      // before deriving the end from the size: "bytes=<size>-" is unsatisfiable, not invalid
      if (start >= size) {
        throw unsatisfiable(header, size);
      }
      return new ByteRange(start, last == null ? size - 1 : Math.min(last, size - 1));
    } catch (NumberFormatException e) {
      throw unsatisfiable(header, size);
    }
  }

  private static RuntimeException unsatisfiable(String header, long size) {
    return ErrorCode.RANGE_INVALID.exception(
        "range " + header + " is not satisfiable: the blob has " + size + " bytes", Map.of("size", size));
  }
}
