package io.wharf.server.auth;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;

/**
 * {@code 401 UNAUTHORIZED} together with the {@code WWW-Authenticate} challenge that tells the
 * client where and how to log in (and, for a Bearer challenge, which scope it needs).
 * {@link io.wharf.server.http.RegistryServlet} sends the challenge with the error envelope.
 */
public final class UnauthorizedException extends RegistryException {
  private static final long serialVersionUID = 1L;
  /** The {@code WWW-Authenticate} value sent with the 401. */
  private final String challenge;

  UnauthorizedException(String message, String challenge, Object detail) {
    super(ErrorCode.UNAUTHORIZED, message, detail);
    this.challenge = challenge;
  }

  /**
   * The value of the {@code WWW-Authenticate} header.
   *
   * @return e.g. {@code Bearer realm="https://reg/v2/token",service="wharf",scope="repository:app:pull"}
   */
  public String challenge() {
    return challenge;
  }
}
