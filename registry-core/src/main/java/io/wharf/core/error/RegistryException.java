package io.wharf.core.error;

import java.util.Objects;

/**
 * The one exception type for errors a client caused or must be told about. It carries an
 * {@link ErrorCode} (which decides the wire code and HTTP status), a human message and an
 * optional detail object that is sent as the {@code detail} member of the error envelope.
 *
 * <p>Create them through {@link ErrorCode#exception(String)} and friends. Anything that is not a
 * {@code RegistryException} reaching the server is an internal error ({@link ErrorCode#UNKNOWN}).
 */
public class RegistryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What kind of error this is. */
  private final ErrorCode code;
  private final transient Object detail;

  /**
   * An exception; prefer {@link ErrorCode#exception(String, Object)}.
   *
   * @param code what kind of error, which decides the wire code and status
   * @param message what was wrong, for the client; null for the code's default message
   * @param detail the {@code detail} member of the error envelope (JSON-serialisable), or null
   */
  public RegistryException(ErrorCode code, String message, Object detail) {
    this(code, message, detail, null);
  }

  /**
   * An exception with a cause (logged, not sent to the client).
   *
   * @param code what kind of error, which decides the wire code and status
   * @param message what was wrong, for the client; null for the code's default message
   * @param detail the {@code detail} member of the error envelope (JSON-serialisable), or null
   * @param cause the cause, or null
   */
  public RegistryException(ErrorCode code, String message, Object detail, Throwable cause) {
    // No stack trace: these are answers to clients (a 404 for every HEAD of a blob not pushed
    // yet), not bugs, and filling in a deep servlet stack for each costs more than the answer.
    // The cause, if any, keeps its own.
    super(message == null ? code.defaultMessage() : message, cause, true, false);
    this.code = Objects.requireNonNull(code, "code");
    this.detail = detail;
  }

  /** {@return what kind of error this is} */
  public ErrorCode code() {
    return code;
  }

  /** {@return detail for the error envelope; {@code null} if none. Must be JSON-serialisable} */
  public Object detail() {
    return detail;
  }
}
