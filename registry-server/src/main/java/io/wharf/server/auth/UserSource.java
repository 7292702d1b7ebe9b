package io.wharf.server.auth;

/**
 * Where users come from besides the local users ({@link UserDirectory}): a company directory
 * (the {@code ldap} realm). {@link UserSources} asks the active sources in the order of
 * {@code security.realms}; the first that knows a name decides.
 *
 * <p>Implementations are thread-safe and may block on the network, each call within their own
 * timeouts.
 */
public interface UserSource extends AutoCloseable {
  /**
   * The realm this source is, as {@code security.realms} names it.
   *
   * @return the realm, never basic or docker-token
   */
  Realm realm();

  /**
   * Checks {@code password} for {@code name}. Must not keep {@code password} beyond the call.
   *
   * @return {@link Accepted} with the identity, {@link Refused} when the source knows the name but
   *     says no (wrong password, locked account), or {@link #UNKNOWN} when it does not know the name
   * @throws SourceUnavailableException when it cannot tell now (unreachable, timed out)
   * @param name the user name
   * @param password the password given
   */
  Result authenticate(String name, char[] password) throws SourceUnavailableException;

  /**
   * Re-confirms {@code name} without its password (a bearer or refresh token of a user whose
   * identity was forgotten): the identity as the source sees it now, or empty if the name is
   * gone or locked.
   *
   * @throws SourceUnavailableException when it cannot tell now
   * @param name the user name
   * @return the identity, or empty
   */
  java.util.Optional<Identity> lookup(String name) throws SourceUnavailableException;

  /** Lets go of connections and threads; the source answers nothing after. */
  @Override
  default void close() {}

  /** What a source answers to a login. */
  sealed interface Result permits Accepted, Refused, Unknown {}

  /** The password is right; {@code identity} is who the user is. */
  record Accepted(Identity identity) implements Result {}

  /** The source knows the name and refuses; {@code reason} goes to the audit log, never to the client. */
  record Refused(String reason) implements Result {}

  /** The source does not know the name: the next source may. */
  final class Unknown implements Result {
    private Unknown() {}
  }

  /** The one answer "the name is not mine". */
  Unknown UNKNOWN = new Unknown();

  /** The source cannot answer now; the message says why, for logs and the 503 the client gets. */
  final class SourceUnavailableException extends Exception {
    /**
     * The source could not answer.
     *
     * @param message why, without secrets
     * @param cause the failure underneath, or null
     */
    public SourceUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
