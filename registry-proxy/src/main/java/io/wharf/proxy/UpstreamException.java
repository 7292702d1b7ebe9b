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

  UpstreamException(ErrorCode code, String message, Object detail, boolean outage, Throwable cause) {
    super(code, message, detail, cause);
    this.outage = outage;
  }

  boolean countsAsOutage() {
    return outage;
  }
}
