package io.wharf.proxy;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;

/**
 * The upstream could not answer: unreachable, timed out, a 5xx, rate limited (429), or it
 * refused the proxy (401/403). The code is what the client is told when nothing is cached; the
 * proxy serves cached content instead when it can. {@link #countsAsOutage()} says whether the
 * failure feeds the auto-block.
 */
final class UpstreamException extends RegistryException {
  private static final long serialVersionUID = 1L;
  private final boolean outage;
  private final boolean wrongContent;

  UpstreamException(ErrorCode code, String message, Object detail, boolean outage, Throwable cause) {
    this(code, message, detail, outage, cause, false);
  }

  private UpstreamException(ErrorCode code, String message, Object detail, boolean outage, Throwable cause,
      boolean wrongContent) {
    super(code, message, detail, cause);
    this.outage = outage;
    this.wrongContent = wrongContent;
  }

  /**
   * The upstream answered in full, but with bytes that are not the content asked for (a manifest
   * hashing to another digest): {@code 502}, an outage, and nothing cached.
   */
  static UpstreamException wrongContent(String message, Object detail) {
    return new UpstreamException(ErrorCode.UPSTREAM_INVALID, message, detail, true, null, true);
  }

  boolean countsAsOutage() {
    return outage;
  }

  /** Whether the upstream sent the wrong bytes, rather than failing to send any (see {@link #wrongContent}). */
  boolean isWrongContent() {
    return wrongContent;
  }
}
