package io.wharf.server.auth.oidc;

/**
 * A sign-in with the OpenID Connect provider failed. The message is safe to show to the person
 * signing in (it never holds a token, code or secret); the cause, if any, is for the log.
 */
public final class OidcException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * A failed sign-in.
   *
   * @param message what went wrong, fit to show the person signing in
   */
  public OidcException(String message) {
    super(message);
  }

  /**
   * A failed sign-in, with the failure underneath.
   *
   * @param message what went wrong, fit to show the person signing in
   * @param cause the failure underneath, for the log
   */
  public OidcException(String message, Throwable cause) {
    super(message, cause);
  }
}
