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
  /** The blob is not in the image (or not stored). */
  BLOB_UNKNOWN(404, "blob unknown to registry"),
  /** The upload request is malformed, or its chunk cannot be taken. */
  BLOB_UPLOAD_INVALID(400, "blob upload invalid"),
  /** No upload of that id in the image (finished, cancelled, purged or never started). */
  BLOB_UPLOAD_UNKNOWN(404, "blob upload unknown to registry"),
  /** A digest that is malformed or unsupported, or that the content does not hash to. */
  DIGEST_INVALID(400, "provided digest did not match uploaded content"),
  /** A pushed manifest references a blob or child manifest the image does not hold. */
  MANIFEST_BLOB_UNKNOWN(400, "manifest references a manifest or blob unknown to registry"),
  /** A pushed manifest that is not valid JSON of a supported manifest type. */
  MANIFEST_INVALID(400, "manifest invalid"),
  /** No manifest (or tag) of that reference in the image. */
  MANIFEST_UNKNOWN(404, "manifest unknown to registry"),
  /** An image name that does not match the grammar of {@code ImageName}. */
  NAME_INVALID(400, "invalid repository name"),
  /** No image of that name in the repository. */
  NAME_UNKNOWN(404, "repository name not known to registry"),
  /** The content is not as long as the request said. */
  SIZE_INVALID(400, "provided length did not match content length"),
  /** A tag that does not match the grammar of {@code Tag}. */
  TAG_INVALID(400, "invalid tag"),
  /** The request needs credentials (or a token) and has none that work. */
  UNAUTHORIZED(401, "authentication required"),
  /** The caller may not do this: missing privilege, write policy, quota. */
  DENIED(403, "requested access to the resource is denied"),
  /** This repository does not do this at all (a push to a proxy). */
  UNSUPPORTED(405, "the operation is unsupported"),
  /** The caller (or the upstream) limits the request rate; retry later. */
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
  /**
   * A request the HTTP layer refuses before any endpoint sees it: a malformed request line,
   * header or body framing.
   */
  REQUEST_INVALID("UNSUPPORTED", 400, "malformed request"),
  /** A request body over a limit of the HTTP layer (a chunk size beyond any body, too many trailers). */
  REQUEST_TOO_LARGE("SIZE_INVALID", 413, "request too large"),
  /** A request URI longer than the server reads; no image name is that long. */
  URI_TOO_LONG("NAME_INVALID", 414, "request URI too long"),
  /** Request headers larger than the server reads. */
  HEADERS_TOO_LARGE("UNSUPPORTED", 431, "request header fields too large"),
  /** Wharf or a proxy's upstream cannot serve the request now; retry later. */
  UNAVAILABLE(503, "service unavailable"),
  /**
   * A proxy's upstream sent something unusable: a body cut off or reset, content that does not
   * hash to its digest, an unreadable answer. On the wire {@code UNAVAILABLE}, so clients retry.
   */
  UPSTREAM_INVALID("UNAVAILABLE", 502, "upstream sent an invalid response"),
  /** A proxy's upstream sent no byte for the read timeout (no answer, or a stalled body). */
  UPSTREAM_TIMEOUT("UNAVAILABLE", 504, "upstream timed out"),
  /**
   * The blob store is full, or an upload would eat into its reserve of free space ({@code
   * io.wharf.core.storage.StorageFullException}): 507 Insufficient Storage, sent as distribution's
   * {@code UNAVAILABLE}, which clients know, with a message that names the store and its free space.
   */
  STORAGE_FULL("UNAVAILABLE", 507, "insufficient storage"),
  /** An internal error: anything that is not a {@link RegistryException}. */
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

  /** {@return the code sent to clients in the {@code errors[].code} field} */
  public String wireCode() {
    return wireCode;
  }

  /** {@return the HTTP status of the response} */
  public int httpStatus() {
    return httpStatus;
  }

  /** {@return the message of an exception created without one} */
  public String defaultMessage() {
    return defaultMessage;
  }

  /** {@return an exception with this code and the default message} */
  public RegistryException exception() {
    return new RegistryException(this, defaultMessage, null);
  }

  /**
   * An exception with this code and a message that says what exactly was wrong.
   *
   * @param message what was wrong, for the client; null for the default message
   * @return the exception, to throw
   */
  public RegistryException exception(String message) {
    return new RegistryException(this, message, null);
  }

  /**
   * An exception with this code, a message and a detail object (serialised as JSON).
   *
   * @param message what was wrong, for the client; null for the default message
   * @param detail the {@code detail} member of the error envelope (JSON-serialisable), or null
   * @return the exception, to throw
   */
  public RegistryException exception(String message, Object detail) {
    return new RegistryException(this, message, detail);
  }
}
