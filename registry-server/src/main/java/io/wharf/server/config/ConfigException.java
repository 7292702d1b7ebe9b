package io.wharf.server.config;

/** A configuration problem, with a message that names the key and says what is wrong. */
public class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * A configuration problem.
   *
   * @param message {@code key: what is wrong}, fit to show the operator
   */
  public ConfigException(String message) {
    super(message);
  }

  /**
   * A configuration problem found through another failure (a file that cannot be read, say).
   *
   * @param message {@code key: what is wrong}, fit to show the operator
   * @param cause the failure underneath
   */
  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
