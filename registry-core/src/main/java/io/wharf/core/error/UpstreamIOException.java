package io.wharf.core.error;

import java.io.IOException;
import java.util.Objects;

/**
 * Reading bytes failed because an upstream failed (a proxy's download was reset, stalled or
 * corrupt), not because of the client or of local storage. It is an {@link IOException} because
 * it surfaces where bytes are read (a blob channel); {@link #error()} is what the client is told,
 * a 502, 503 or 504 naming the upstream, when the response has not started yet. Once it has,
 * the server aborts the connection, so the client sees a short body, never a complete one.
 */
public final class UpstreamIOException extends IOException {
  private static final long serialVersionUID = 1L;
  /** What the client is told. */
  private final RegistryException error;

  /**
   * An exception whose message is {@code error}'s.
   *
   * @param error what the client is told, if the response has not started
   */
  public UpstreamIOException(RegistryException error) {
    super(Objects.requireNonNull(error, "error").getMessage(), error);
    this.error = error;
  }

  /** {@return the error response for the client} */
  public RegistryException error() {
    return error;
  }
}
