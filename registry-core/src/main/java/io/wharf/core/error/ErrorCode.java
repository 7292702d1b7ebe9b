package io.wharf.core.error;

/**
 * Every error Wharf reports to a client, with its OCI wire code and HTTP status.
 *
 * <p>This is the only table of error statuses in the code base: the server turns a
 * {@link RegistryException} into {@code {"errors":[{"code","message","detail"}]}} using these
 * values and nothing else. Where the OCI spec has no code of its own for a situation (an
 * out-of-order chunk, an oversized manifest), the constant reuses the nearest spec code on the
 * wire so that every client understands it, and keeps its own name and status here.
 */
public enum ErrorCode {
  BLOB_UNKNOWN(404, "blob unknown to registry"),
  BLOB_UPLOAD_INVALID(400, "blob upload invalid"),
  BLOB_UPLOAD_UNKNOWN(404, "blob upload unknown to registry"),
  DIGEST_INVALID(400, "provided digest did not match uploaded content"),
  MANIFEST_BLOB_UNKNOWN(400, "manifest references a manifest or blob unknown to registry"),
  MANIFEST_INVALID(400, "manifest invalid"),
  MANIFEST_UNKNOWN(404, "manifest unknown to registry"),
  NAME_INVALID(400, "invalid repository name"),
  NAME_UNKNOWN(404, "repository name not known to registry"),
  SIZE_INVALID(400, "provided length did not match content length"),
  TAG_INVALID(400, "invalid tag"),
  UNAUTHORIZED(401, "authentication required"),
  DENIED(403, "requested access to the resource is denied"),
  UNSUPPORTED(405, "the operation is unsupported"),
  TOOMANYREQUESTS(429, "too many requests"),
  /** A chunk that does not start where the upload ends, or a blob range beyond its end. */
  RANGE_INVALID("BLOB_UPLOAD_INVALID", 416, "requested range not satisfiable"),
  /** A manifest body over the size cap. */
  MANIFEST_TOO_LARGE("SIZE_INVALID", 413, "manifest too large"),
  /** The client asked for something this endpoint does not do (wrong method). */
  METHOD_NOT_ALLOWED("UNSUPPORTED", 405, "method not allowed"),
  /** A {@code n} query parameter that is not a non-negative integer. */
  PAGINATION_NUMBER_INVALID(400, "invalid number of results requested"),
  /** A path under {@code /v2/} that is no endpoint of the API. */
  ROUTE_UNKNOWN("NOT_FOUND", 404, "unknown API endpoint"),
  UNAVAILABLE(503, "service unavailable"),
  /**
   * A proxy's upstream sent something unusable: a body cut off or reset, content that does not
   * hash to its digest, an unreadable answer. On the wire {@code UNAVAILABLE}, so clients retry.
   */
  UPSTREAM_INVALID("UNAVAILABLE", 502, "upstream sent an invalid response"),
  /** A proxy's upstream sent no byte for the read timeout (no answer, or a stalled body). */
  UPSTREAM_TIMEOUT("UNAVAILABLE", 504, "upstream timed out"),
  UNKNOWN(500, "unknown error");

  private final String wireCode;
  private final int httpStatus;
  private final String defaultMessage;

  ErrorCode(int httpStatus, String defaultMessage) {
    this(null, httpStatus, defaultMessage);
  }

  ErrorCode(String wireCode, int httpStatus, String defaultMessage) {
    this.wireCode = wireCode == null ? name() : wireCode;
    this.httpStatus = httpStatus;
    this.defaultMessage = defaultMessage;
  }

  /** The code sent to clients in the {@code errors[].code} field. */
  public String wireCode() {
    return wireCode;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public String defaultMessage() {
    return defaultMessage;
  }

  /** An exception with this code and the default message. */
  public RegistryException exception() {
    return new RegistryException(this, defaultMessage, null);
  }

  /** An exception with this code and a message that says what exactly was wrong. */
  public RegistryException exception(String message) {
    return new RegistryException(this, message, null);
  }

  /** An exception with this code, a message and a detail object (serialised as JSON). */
  public RegistryException exception(String message, Object detail) {
    return new RegistryException(this, message, detail);
  }
}
