package io.wharf.testkit;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One request a {@link TestRegistry} served, as the client saw it.
 *
 * @param time when it arrived (wall clock, not the {@link TestClock})
 * @param repository the repository whose port it came to ({@value TestRegistry#HOSTED},
 *     {@value TestRegistry#PROXY}, {@value TestRegistry#GROUP})
 * @param method the HTTP method
 * @param path the request path as sent, e.g. {@code /v2/team/app/manifests/1.0}
 * @param query the query string, or {@code null}
 * @param status the status code of the response
 * @param user who the client said it was: the user of {@code Basic} credentials or the subject of
 *     its bearer token, else {@code null} (anonymous). With authentication on, a request that
 *     was not refused with 401 was made by that user; with it off, nobody checked
 * @param endpoint the API endpoint (or {@link Endpoint#TOKEN}, the token endpoint)
 * @param image the image name, or {@code null} for {@code /v2/} and the catalog
 * @param reference the tag, digest or upload id in the path, or {@code null}
 * @param duration how long the registry took to answer (including injected latency)
 * @param fault the fault injected into this request ({@link Faults}), or {@code null}
 * @param headers the request's headers as the client sent them, names in lower case, values in
 *     order; {@code authorization} keeps only its scheme ({@code Basic}, {@code Bearer}), since
 *     journals end up in build logs ({@link #user()} says who it was)
 */
public record RecordedRequest(
    Instant time,
    String repository,
    String method,
    String path,
    String query,
    int status,
    String user,
    Endpoint endpoint,
    String image,
    String reference,
    Duration duration,
    String fault,
    Map<String, List<String>> headers) {

  /**
   * Creates a recorded request; what the registry records, rarely needed by tests.
   *
   * @param time when it arrived
   * @param repository the repository whose port it came to
   * @param method the HTTP method
   * @param path the request path as sent
   * @param query the query string, or {@code null}
   * @param status the status code of the response
   * @param user who the client said it was, or {@code null}
   * @param endpoint the API endpoint
   * @param image the image name, or {@code null}
   * @param reference the tag, digest or upload id in the path, or {@code null}
   * @param duration how long the registry took to answer
   * @param fault the fault injected into this request, or {@code null}
   * @param headers the request's headers, names in lower case; {@code null} is taken as none
   */
  public RecordedRequest {
    headers = headers == null ? Map.of() : headers;
  }

  /**
   * The first value of a request header, e.g. {@code header("User-Agent")}.
   *
   * @param name the header's name, in any case
   * @return its first value, or empty if the client did not send it
   */
  public Optional<String> header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /**
   * {@return {@code METHOD path}, e.g. {@code HEAD /v2/team/app/blobs/sha256:...}: handy with
   * AssertJ's {@code containsSubsequence}}
   */
  public String line() {
    return method + " " + path;
  }

  /** {@return true if the response's status was 2xx} */
  public boolean isSuccessful() {
    return status >= 200 && status < 300;
  }

  /** {@return true for a successful {@code PUT} of a manifest by tag} */
  public boolean isTagPush() {
    return endpoint == Endpoint.MANIFEST && "PUT".equals(method) && isSuccessful()
        && reference != null && reference.indexOf(':') < 0;
  }

  @Override
  public String toString() {
    return line() + (query == null ? "" : "?" + query) + " -> " + status
        + (user == null ? "" : " (" + user + ")") + (fault == null ? "" : " [fault: " + fault + "]");
  }
}
