package io.wharf.server.admin;

import java.util.List;

/**
 * Why a management service refused a call. The faces map the reason to their status codes and
 * error shapes (Nexus's siesta JSON on the REST API, Wharf's own on {@code /wharf/api}).
 * A refused input names the fields at fault ({@link #violations()}), as Nexus's validation 400s do.
 */
public final class ManagementException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a call was refused, each with the HTTP status the faces answer it with. */
  public enum Reason {
    /** The input is wrong (400); {@link #violations()} names the fields. */
    BAD_REQUEST(400),
    /** The caller must log in (401). */
    UNAUTHENTICATED(401),
    /** The caller is known but lacks the right (403). */
    FORBIDDEN(403),
    /** No such thing, or none the caller may see (404). */
    NOT_FOUND(404),
    /** The endpoint exists but not for this method (405). */
    METHOD_NOT_ALLOWED(405),
    /** The thing is in a state that refuses this (409): a name taken, a task not running, a member in use. */
    CONFLICT(409),
    /** Wharf does not offer this, and will not (410, as Nexus answers for disabled scripting). */
    NOT_SUPPORTED(410),
    /** A parameter the call needs is missing or unusable (422, as Nexus answers a bad component id). */
    UNPROCESSABLE(422),
    /** Too many failed logins from this client (429, with {@code Retry-After}). */
    TOO_MANY_REQUESTS(429),
    /** A bug or an unexpected failure (500); the server log has the details. */
    INTERNAL(500),
    /** The operation cannot be done now (503): storage unavailable, a dependency down. */
    UNAVAILABLE(503);

    private final int status;

    Reason(int status) {
      this.status = status;
    }

    /**
     * The HTTP status both faces answer this reason with.
     *
     * @return the status code, 400 to 503
     */
    public int status() {
      return status;
    }

    /** The reason answered with {@code status}; {@link #INTERNAL} for one not listed. */
    static Reason of(int status) {
      for (Reason r : values()) {
        if (r.status == status) {
          return r;
        }
      }
      return INTERNAL;
    }
  }

  /**
   * One field at fault, as a Nexus validation 400 lists it.
   *
   * @param id the field as Nexus names it: {@code "PARAMETER name"} for a query parameter, a
   *     dotted JSON path for a body field, {@code "*"} for the whole body
   * @param message what is wrong with it
   */
  public record Violation(String id, String message) {}

  /** Why the call was refused; serialized with the message. */
  private final Reason reason;
  private final transient List<Violation> violations;

  /**
   * A refusal with no fields named.
   *
   * @param reason why, which decides the status
   * @param message what the caller reads: what was refused and, where it helps, what to do
   */
  public ManagementException(Reason reason, String message) {
    this(reason, message, List.of());
  }

  private ManagementException(Reason reason, String message, List<Violation> violations) {
    super(message);
    this.reason = reason;
    this.violations = List.copyOf(violations);
  }

  /**
   * A 400 naming one field, as the forms of the UI and the REST API's bodies are checked.
   *
   * @param field the field at fault (dotted JSON path, e.g. {@code docker.httpPort}, or a
   *     parameter's name)
   * @param message what is wrong with it
   * @return a {@link Reason#BAD_REQUEST} with one violation, to throw
   */
  public static ManagementException invalid(String field, String message) {
    return invalid(List.of(new Violation(field, message)));
  }

  /**
   * A 400 naming every field at fault, so a caller can fix them all at once.
   *
   * @param violations the fields and what is wrong with each; empty gives the message "invalid input"
   * @return a {@link Reason#BAD_REQUEST} whose message joins the violations, to throw
   */
  public static ManagementException invalid(List<Violation> violations) {
    String message = violations.stream().map(v -> v.id() + ": " + v.message())
        .reduce((a, b) -> a + "; " + b).orElse("invalid input");
    return new ManagementException(Reason.BAD_REQUEST, message, violations);
  }

  /**
   * Why the call was refused.
   *
   * @return the reason, which decides the HTTP status
   */
  public Reason reason() {
    return reason;
  }

  /**
   * The fields at fault of a {@link Reason#BAD_REQUEST}.
   *
   * @return the violations, in the order found; empty for the other reasons and when the message says it all
   */
  public List<Violation> violations() {
    return violations;
  }
}
