package io.wharf.server.admin;

import java.util.Map;

/**
 * One named health check of the running server: storage writable, a proxy's upstream, the token
 * signing key. {@link HealthService} runs them for {@code /v1/status/check}, and those marked for
 * readiness decide {@code /health/ready} (storage writable, free space above the reserve).
 *
 * <p>{@link #check()} is called per request to the status endpoints, so it must be cheap: answer
 * from memory or from a cached probe, never from a network call of its own.
 */
interface HealthCheck {

  /** The check's name as {@code /v1/status/check} shows it, e.g. {@code Blob store default writable}. */
  String name();

  Result check();

  /**
   * @param message what is wrong (or, when healthy, a short note); null for nothing to say
   * @param details facts for operators (free bytes, blocked until); null for none
   */
  record Result(boolean healthy, String message, Map<String, Object> details) {
    public static Result healthy(String message, Map<String, Object> details) {
      return new Result(true, message, details);
    }

    public static Result unhealthy(String message, Map<String, Object> details) {
      return new Result(false, message, details);
    }
  }
}
