package io.wharf.server.auth;

import io.wharf.core.model.MediaTypes;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A registry client over raw {@code java.net.http} that logs in the way docker does (the Docker
 * token protocol): a request answered 401 with a {@code Bearer} challenge sends it to the
 * challenge's realm for a token ({@code GET realm?service=&scope=}, Basic credentials if it has
 * any), then repeats the request with {@code Authorization: Bearer}.
 */
final class DockerTokenClient {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  private final String user;
  private final String password;
  private String token;
  /** Every token request this client made: {@code realm?query}. */
  final List<String> tokenRequests = new ArrayList<>();

  /** {@code user} null: anonymous. */
  DockerTokenClient(String user, String password) {
    this.user = user;
    this.password = password;
  }

  static DockerTokenClient as(String user) {
    return new DockerTokenClient(user, SecureServer.password(user));
  }

  static DockerTokenClient anonymous() {
    return new DockerTokenClient(null, null);
  }

  String token() {
    return token;
  }

  /** {@code docker login}: {@code GET /v2/}, the dance on its challenge, {@code GET /v2/} again. */
  HttpResponse<String> login(String baseUrl) throws Exception {
    return send("GET", baseUrl + "/v2/", null);
  }

  /** Sends with the current token; on a Bearer challenge, gets a token for its scope and tries once more. */
  HttpResponse<String> send(String method, String url, byte[] body, String... headers) throws Exception {
    HttpResponse<String> r = SecureServer.send(method, url, body, withAuth(headers));
    if (r.statusCode() != 401) {
      return r;
    }
    Map<String, String> c = challenge(r);
    if (c == null) {
      return r;
    }
    HttpResponse<String> t = fetchToken(c.get("realm"), c.get("service"),
        c.get("scope") == null ? List.of() : List.of(c.get("scope").split(" ")));
    if (t.statusCode() != 200) {
      return t;
    }
    token = JSON.readTree(t.body()).get("token").asString();
    return SecureServer.send(method, url, body, withAuth(headers));
  }

  /** {@code GET realm?service=S&scope=..} with this client's Basic credentials, if any. */
  HttpResponse<String> fetchToken(String realm, String service, List<String> scopes) throws Exception {
    StringBuilder q = new StringBuilder(realm).append("?service=").append(URLEncoder.encode(service, StandardCharsets.UTF_8));
    if (user != null) {
      q.append("&account=").append(URLEncoder.encode(user, StandardCharsets.UTF_8));
    }
    for (String s : scopes) {
      q.append("&scope=").append(URLEncoder.encode(s, StandardCharsets.UTF_8));
    }
    tokenRequests.add(q.toString());
    return SecureServer.send("GET", q.toString(), null, "Authorization",
        user == null ? null : SecureServer.basic(user, password));
  }

  private String[] withAuth(String[] headers) {
    if (token == null) {
      return headers;
    }
    String[] h = java.util.Arrays.copyOf(headers, headers.length + 2);
    h[headers.length] = "Authorization";
    h[headers.length + 1] = "Bearer " + token;
    return h;
  }

  /** The parameters of a {@code Bearer} challenge, or null if the response has none. */
  static Map<String, String> challenge(HttpResponse<?> r) {
    String h = r.headers().firstValue("WWW-Authenticate").orElse(null);
    if (h == null || !h.startsWith("Bearer ")) {
      return null;
    }
    Map<String, String> params = new LinkedHashMap<>();
    Matcher m = PARAM.matcher(h);
    while (m.find()) {
      params.put(m.group(1), m.group(2));
    }
    return params;
  }

  /**
   * Pushes {@code image} as {@code <apiBase>/manifests/<tag>} ({@code apiBase} like
   * {@code http://h:p/v2/team/app}): the config blob in one POST, then the manifest. Returns the
   * first response that is not a success, else the manifest's.
   */
  HttpResponse<String> push(String apiBase, String tag, SecureServer.Image image) throws Exception {
    HttpResponse<String> blob = send("POST", apiBase + "/blobs/uploads/?digest=" + image.configDigest(), image.config(),
        "Content-Type", "application/octet-stream");
    if (blob.statusCode() != 201) {
      return blob;
    }
    return send("PUT", apiBase + "/manifests/" + tag, image.manifest(), "Content-Type", MediaTypes.OCI_MANIFEST);
  }

  /** The code of the first error in an OCI error body. */
  static String errorCode(HttpResponse<String> r) {
    JsonNode n = JSON.readTree(r.body());
    return n.path("errors").path(0).path("code").asString();
  }

  static JsonNode json(HttpResponse<String> r) {
    return JSON.readTree(r.body());
  }
}
