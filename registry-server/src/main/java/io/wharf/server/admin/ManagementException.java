package io.wharf.server.admin;

/**
 * Why a management service refused a call. The faces map the reason to their status codes and
 * error shapes (Nexus's siesta JSON on the REST API).
 */
public final class ManagementException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public enum Reason {
    /** The caller must log in (401). */
    UNAUTHENTICATED(401),
    /** The caller is known but lacks the right (403). */
    FORBIDDEN(403),
    /** No such thing, or none the caller may see (404). */
    NOT_FOUND(404),
    /** The endpoint exists but not for this method (405). */
    METHOD_NOT_ALLOWED(405),
    /** Wharf does not offer this, and will not (410, as Nexus answers for disabled scripting). */
    NOT_SUPPORTED(410);

    private final int status;

    Reason(int status) {
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  private final Reason reason;

  public ManagementException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
