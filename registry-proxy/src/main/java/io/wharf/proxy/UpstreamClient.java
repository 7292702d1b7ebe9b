package io.wharf.proxy;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.wharf.core.error.ErrorCode;
import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.auth.AuthScope;
import org.apache.hc.client5.http.auth.UsernamePasswordCredentials;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpHead;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.DefaultSchemePortResolver;
import org.apache.hc.client5.http.impl.auth.BasicCredentialsProvider;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.routing.DefaultRoutePlanner;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.NoHttpResponseException;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Talks to one upstream registry over Apache HttpClient 5: manifests, blobs and tags, with the
 * registry token dance done once here for every call (as Jib's {@code RegistryEndpointCaller}):
 * a 401 with a {@code Bearer} challenge fetches a token for the challenge's scope (anonymously or
 * with the configured credentials), caches it until it expires and retries once; a {@code Basic}
 * challenge is answered with the credentials. Redirects (blob downloads from a CDN) are followed
 * by hand so credentials never go to another host. Transient failures are retried; what remains
 * becomes an {@link UpstreamException} with the code the client should see ({@link #failure}).
 *
 * <p>Pooled connections are checked after a second of inactivity and dropped after 30 s idle, and
 * a request that fails on a connection the other side had already closed (a forward proxy or
 * load balancer ends kept-alive connections on its own schedule) is sent once more on a new
 * connection whatever {@code retries} says: every request here is a GET or HEAD.
 *
 * <p>Credentials and tokens are never logged.
 */
final class UpstreamClient implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamClient.class);
  private static final ObjectMapper JSON = JsonMapper.builder().build();
  static final String MANIFEST_ACCEPT = String.join(", ", MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST,
      MediaTypes.DOCKER_MANIFEST_LIST, MediaTypes.DOCKER_MANIFEST);
  private static final int MAX_REDIRECTS = 5;
  private static final int MAX_TAG_PAGES = 100;
  private static final TimeValue VALIDATE_AFTER_INACTIVITY = TimeValue.ofSeconds(1);
  private static final TimeValue EVICT_IDLE_AFTER = TimeValue.ofSeconds(30);
  /**
   * How many times a GET or HEAD is sent again after its pooled connection turned out closed.
   * More than once: a forward proxy that closes every connection after one answer (tinyproxy)
   * leaves every pooled connection stale, and a concurrent request may return one to the pool
   * between our clearing it and our next lease.
   */
  private static final int STALE_CONNECTION_RETRIES = 3;

  /** A manifest as the upstream served it. */
  record UpstreamManifest(byte[] bytes, String mediaType, String digestHeader) {}

  /** What a {@code HEAD} of a manifest said. */
  record ManifestHead(Digest digest, String mediaType) {}

  /** An open blob download; the caller closes it. {@code size} is -1 if the upstream did not say. */
  record BlobStream(InputStream body, long size, Closeable response) implements Closeable {
    @Override
    public void close() throws IOException {
      response.close();
    }
  }

  private record Token(String value, Instant expires) {}

  private final URI base;
  private final String host;
  private final String basicCredentials;
  private final int retries;
  private final Duration readTimeout;
  private final String via;
  private final Clock clock;
  private final PoolingHttpClientConnectionManager pool;
  private final CloseableHttpClient http;
  private final Cache<String, Token> tokens = CacheBuilder.newBuilder().maximumSize(1000).build();
  /** The registry asked for basic credentials once: writes send them at once (a streamed body cannot be sent twice). */
  private volatile boolean basicWanted;

  UpstreamClient(URI remoteUrl, String username, String password, Duration connectTimeout, Duration readTimeout,
      int retries, String userAgent, OutboundProxy proxy, Clock clock) {
    String s = remoteUrl.toString();
    this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    this.host = base.getHost() + (base.getPort() > 0 ? ":" + base.getPort() : "");
    this.basicCredentials = username == null ? null
        : "Basic " + Base64.getEncoder().encodeToString((username + ":" + (password == null ? "" : password))
            .getBytes(StandardCharsets.UTF_8));
    this.retries = Math.max(0, retries);
    this.readTimeout = readTimeout;
    OutboundProxy outbound = proxy == null ? OutboundProxy.DIRECT : proxy;
    OutboundProxy.Endpoint forward = outbound.proxyFor(base.getScheme(), base.getHost());
    this.via = forward == null ? "" : " via proxy " + forward;
    this.clock = clock;
    this.pool = buildPool(connectTimeout, readTimeout);
    this.http = buildClient(pool, connectTimeout, readTimeout, userAgent, outbound);
  }

  private static PoolingHttpClientConnectionManager buildPool(Duration connectTimeout, Duration readTimeout) {
    ConnectionConfig connections = ConnectionConfig.custom()
        .setConnectTimeout(Timeout.of(connectTimeout))
        .setSocketTimeout(Timeout.of(readTimeout))
        // A connection idle for a while may have been closed by the other side: check before reuse.
        .setValidateAfterInactivity(VALIDATE_AFTER_INACTIVITY)
        .build();
    return PoolingHttpClientConnectionManagerBuilder.create()
        .setDefaultConnectionConfig(connections)
        .setMaxConnTotal(200)
        .setMaxConnPerRoute(50)
        .build();
  }

  private static CloseableHttpClient buildClient(PoolingHttpClientConnectionManager pool, Duration connectTimeout,
      Duration readTimeout, String userAgent, OutboundProxy proxy) {
    HttpClientBuilder b = HttpClientBuilder.create()
        .setConnectionManager(pool)
        .setDefaultRequestConfig(RequestConfig.custom()
            .setResponseTimeout(Timeout.of(readTimeout))
            .setConnectionRequestTimeout(Timeout.of(connectTimeout))
            .build())
        .setUserAgent(userAgent)
        .disableContentCompression() // blobs must arrive byte for byte
        .disableRedirectHandling() // followed by hand, without credentials to other hosts
        .disableAutomaticRetries() // retried here, where we know what is safe to retry
        .disableCookieManagement()
        .evictIdleConnections(EVICT_IDLE_AFTER)
        .setRoutePlanner(new DefaultRoutePlanner(DefaultSchemePortResolver.INSTANCE) {
          @Override
          protected HttpHost determineProxy(HttpHost target, HttpContext context) {
            OutboundProxy.Endpoint p = proxy.proxyFor(target.getSchemeName(), target.getHostName());
            return p == null ? null : new HttpHost(p.host(), p.port());
          }
        });
    BasicCredentialsProvider proxyCredentials = new BasicCredentialsProvider();
    for (OutboundProxy.Endpoint p : new OutboundProxy.Endpoint[] {proxy.http(), proxy.https()}) {
      if (p != null && p.username() != null) {
        proxyCredentials.setCredentials(new AuthScope(p.host(), p.port()),
            new UsernamePasswordCredentials(p.username(), p.password() == null ? new char[0] : p.password().toCharArray()));
      }
    }
    b.setDefaultCredentialsProvider(proxyCredentials);
    return b.build();
  }

  /** {@code host[:port]} of the upstream, for messages. */
  String host() {
    return host;
  }

  URI base() {
    return base;
  }

  /** GET a manifest by tag or digest; empty if the upstream does not have it. */
  Optional<UpstreamManifest> getManifest(String name, String reference) {
    return call("GET", name, "/v2/" + name + "/manifests/" + reference, MANIFEST_ACCEPT, r -> {
      byte[] body = EntityUtils.toByteArray(r.getEntity(), 4 * 1024 * 1024 + 1);
      return new UpstreamManifest(body, MediaTypes.base(header(r, "Content-Type")), header(r, "Docker-Content-Digest"));
    });
  }

  /** HEAD a manifest: its digest, without spending a GET (Docker Hub counts GETs against the pull limit). */
  Optional<ManifestHead> headManifest(String name, String reference) {
    return call("HEAD", name, "/v2/" + name + "/manifests/" + reference, MANIFEST_ACCEPT, r -> {
      String d = header(r, "Docker-Content-Digest");
      return d == null ? null : new ManifestHead(Digest.parse(d), MediaTypes.base(header(r, "Content-Type")));
    });
  }

  /** Starts a blob download; empty if the upstream does not have it. */
  Optional<BlobStream> openBlob(String name, Digest digest) throws IOException {
    ClassicHttpResponse r = open("GET", name, "/v2/" + name + "/blobs/" + digest, null);
    if (r == null) {
      return Optional.empty();
    }
    long size = r.getEntity() == null ? -1 : r.getEntity().getContentLength();
    InputStream body = r.getEntity() == null ? InputStream.nullInputStream() : r.getEntity().getContent();
    return Optional.of(new BlobStream(body, size, r));
  }

  /** Every tag of {@code name}, following {@code Link} pages; empty if the image is unknown upstream. */
  Optional<List<String>> listTags(String name) {
    List<String> all = new ArrayList<>();
    String path = "/v2/" + name + "/tags/list";
    for (int page = 0; page < MAX_TAG_PAGES && path != null; page++) {
      String[] next = new String[1];
      Optional<List<String>> tags = call("GET", name, path, "application/json", r -> {
        JsonNode body = JSON.readTree(EntityUtils.toByteArray(r.getEntity(), 16 * 1024 * 1024));
        List<String> out = new ArrayList<>();
        JsonNode t = body.get("tags");
        if (t != null && t.isArray()) {
          t.forEach(n -> out.add(n.asString()));
        }
        next[0] = nextLink(header(r, "Link"));
        return out;
      });
      if (tags.isEmpty()) {
        return page == 0 ? Optional.empty() : Optional.of(all);
      }
      all.addAll(tags.get());
      path = next[0];
    }
    return Optional.of(all);
  }

  /**
   * Every image name in the upstream's catalog, following {@code Link} pages; empty if it has no
   * catalog (a 404, or a 401/403 for it alone, as Docker Hub answers), so that a caller can say
   * names must be given literally.
   */
  Optional<List<String>> catalog() {
    List<String> all = new ArrayList<>();
    String path = "/v2/_catalog?n=1000";
    for (int page = 0; page < MAX_TAG_PAGES && path != null; page++) {
      String[] next = new String[1];
      Optional<List<String>> names;
      try {
        names = call("GET", "", path, "application/json", r -> {
          JsonNode body = JSON.readTree(EntityUtils.toByteArray(r.getEntity(), 16 * 1024 * 1024));
          List<String> out = new ArrayList<>();
          JsonNode repositories = body == null ? null : body.get("repositories");
          if (repositories != null && repositories.isArray()) {
            repositories.forEach(n -> out.add(n.asString()));
          }
          next[0] = nextLink(header(r, "Link"));
          return out;
        });
      } catch (UpstreamException e) {
        if (page == 0 && (e.code() == ErrorCode.UNAUTHORIZED || e.code() == ErrorCode.DENIED)) {
          return Optional.empty();
        }
        throw e;
      }
      if (names.isEmpty()) {
        return page == 0 ? Optional.empty() : Optional.of(all);
      }
      all.addAll(names.get());
      path = next[0];
    }
    return Optional.of(all);
  }

  /**
   * The digests the upstream lists as referrers of {@code subject}: from its referrers API
   * (following {@code Link} pages), else, when it has none (a {@code 404}, as distribution 2.8
   * answers, or an answer that is no image index), from the image index tagged by the referrers
   * tag schema ({@link #referrersTag}), as the distribution spec tells clients to fall back.
   * Nothing listed here is trusted: the caller fetches and checks each manifest. Entries that
   * name no valid digest are dropped; no list at all is an empty one.
   */
  List<Digest> listReferrers(String name, Digest subject) {
    Optional<List<Digest>> api = referrersFromApi(name, subject);
    return api.isPresent() ? api.get() : referrersFromTagSchema(name, subject);
  }

  private Optional<List<Digest>> referrersFromApi(String name, Digest subject) {
    List<Digest> all = new ArrayList<>();
    String path = "/v2/" + name + "/referrers/" + subject;
    for (int page = 0; page < MAX_TAG_PAGES && path != null; page++) {
      String[] next = new String[1];
      Optional<List<Digest>> listed = call("GET", name, path, MediaTypes.OCI_INDEX, r -> {
        if (!MediaTypes.OCI_INDEX.equals(MediaTypes.base(header(r, "Content-Type")))) {
          return null; // not the referrers API (a catch-all page, say): treat as absent
        }
        next[0] = nextLink(header(r, "Link"));
        return indexEntries(EntityUtils.toByteArray(r.getEntity(), 16 * 1024 * 1024));
      });
      if (listed.isEmpty()) {
        return page == 0 ? Optional.empty() : Optional.of(all);
      }
      all.addAll(listed.get());
      path = next[0];
    }
    return Optional.of(all);
  }

  private List<Digest> referrersFromTagSchema(String name, Digest subject) {
    Optional<UpstreamManifest> index = getManifest(name, referrersTag(subject));
    if (index.isEmpty()) {
      return List.of(); // no tag: the spec says to assume there are no referrers
    }
    try {
      return indexEntries(index.get().bytes());
    } catch (JacksonException e) {
      return List.of(); // not a valid image index: likewise
    }
  }

  /** The digests in the {@code manifests} array of an image index; entries without a valid digest are skipped. */
  private static List<Digest> indexEntries(byte[] body) {
    JsonNode root = JSON.readTree(body);
    JsonNode manifests = root == null ? null : root.get("manifests");
    List<Digest> out = new ArrayList<>();
    if (manifests == null || !manifests.isArray()) {
      return out;
    }
    for (JsonNode m : manifests) {
      JsonNode digest = m.get("digest");
      if (digest != null && digest.isString()) {
        try {
          out.add(Digest.parse(digest.asString()));
        } catch (RuntimeException invalid) {
          // cannot be fetched, so cannot be verified: not listed
        }
      }
    }
    return out;
  }

  /**
   * The referrers tag schema of the distribution spec: the algorithm (at most 32 characters), a
   * {@code -}, and the encoded part (at most 64 characters), e.g. {@code sha256-<hex>}.
   */
  static String referrersTag(Digest subject) {
    String alg = subject.algorithm();
    String hex = subject.hex();
    return (alg.length() > 32 ? alg.substring(0, 32) : alg) + "-" + (hex.length() > 64 ? hex.substring(0, 64) : hex);
  }

  @Override
  public void close() throws IOException {
    http.close();
  }

  // ---- the one caller

  private interface Reader<T> {
    T read(ClassicHttpResponse response) throws IOException, JacksonException;
  }

  /** A request with a small answer read whole (manifests, tags): reading the body is part of each attempt. */
  private <T> Optional<T> call(String method, String name, String path, String accept, Reader<T> reader) {
    URI uri = URI.create(base + path);
    return withRetries(method, uri, () -> {
      try (ClassicHttpResponse r = openOnce(method, name, uri, accept)) {
        return r == null ? Optional.empty() : Optional.ofNullable(reader.read(r));
      } catch (IOException e) {
        throw failure("reading the answer to " + method + " " + path, e);
      } catch (JacksonException e) {
        throw invalid("sent an unreadable answer to " + method + " " + path + ": " + e.getOriginalMessage(), e);
      }
    });
  }

  /**
   * Sends the request with authentication, retries and redirects, and returns the open 2xx
   * response, or {@code null} for a 404 (or another "not here" 4xx). Anything else throws.
   */
  private ClassicHttpResponse open(String method, String name, String path, String accept) {
    URI uri = URI.create(base + path);
    return withRetries(method, uri, () -> openOnce(method, name, uri, accept));
  }

  private interface Attempt<T> {
    T run();
  }

  /** Runs {@code attempt} up to {@code 1 + retries} times while it fails with a retryable outage. */
  private <T> T withRetries(String method, URI uri, Attempt<T> attempt) {
    UpstreamException last = null;
    for (int i = 0; i <= retries; i++) {
      if (i > 0) {
        sleepBeforeRetry(i);
      }
      try {
        return attempt.run();
      } catch (UpstreamException e) {
        if (!e.countsAsOutage() || e.code() == ErrorCode.TOOMANYREQUESTS) {
          throw e; // retrying would not help (or would make a rate limit worse)
        }
        last = e;
        LOG.debug("{} {} attempt {} failed: {}", method, uri, i + 1, e.getMessage());
      }
    }
    throw last;
  }

  private ClassicHttpResponse openOnce(String method, String name, URI uri, String accept) {
    // an empty name is the catalog, which has a scope of its own
    String scope = name.isEmpty() ? "registry:catalog:*" : "repository:" + name + ":pull";
    Token cached = tokens.getIfPresent(scope);
    String authorization = cached != null && cached.expires().isAfter(clock.instant())
        ? "Bearer " + cached.value() : null;
    ClassicHttpResponse r = send(method, uri, accept, authorization);
    if (r.getCode() == 401) {
      AuthChallenge challenge = AuthChallenge.parse(header(r, "WWW-Authenticate"));
      String upstreamMessage = errorMessage(r);
      closeQuietly(r);
      if (challenge != null && challenge.isBearer() && challenge.realm() != null) {
        authorization = "Bearer " + fetchToken(challenge, List.of(scope));
      } else if (challenge != null && challenge.isBasic() && basicCredentials != null) {
        authorization = basicCredentials;
      } else {
        throw refused(401, upstreamMessage, challenge);
      }
      r = send(method, uri, accept, authorization);
      if (r.getCode() == 401) {
        String message = errorMessage(r);
        closeQuietly(r);
        throw refused(401, message, challenge);
      }
    }
    r = followRedirects(method, r, accept, uri, authorization);
    int status = r.getCode();
    if (status >= 200 && status < 300) {
      return r;
    }
    String message = errorMessage(r);
    closeQuietly(r);
    if (status == 404 || status == 400) {
      return null;
    }
    if (status == 403) {
      throw refused(403, message, null);
    }
    if (status == 429) {
      throw rateLimited(header(r, "Retry-After"), message);
    }
    throw unavailable("answered " + status + " to " + method + " " + uri.getPath() + ": " + message, null);
  }

  private UpstreamException rateLimited(String retryAfter, String message) {
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("upstream", host);
    if (retryAfter != null) {
      detail.put("retryAfter", retryAfter);
    }
    return new UpstreamException(ErrorCode.TOOMANYREQUESTS, "upstream " + host + " rate-limits this proxy"
        + (retryAfter == null ? "" : " (retry after " + retryAfter + ")") + ": " + message, detail, true, null);
  }

  // ---- writes (push rules): the same authentication with the push scope

  /**
   * What the registry answered to a write or a push-scoped {@code HEAD}, read and released.
   *
   * @param status the HTTP status
   * @param location the {@code Location} header resolved against the request, or null
   * @param digest the {@code Docker-Content-Digest} header, or null
   * @param length the {@code Content-Length} header, or -1
   * @param message the registry's first error message for a status of 300 or more, else null
   * @param subjectHeader whether the answer had an {@code OCI-Subject} header (the registry keeps
   *     referrers itself)
   */
  record WriteAnswer(int status, URI location, String digest, long length, String message, boolean subjectHeader) {}

  /**
   * Sends a request that needs {@code repository:<name>:pull,push} (a push's requests, and the
   * {@code HEAD}s before them): with the cached token of that scope, or basic credentials once the
   * registry asked for them, and the token dance on a {@code 401}. Redirects are not followed
   * (registries answer writes themselves). Any status comes back in the answer, except these,
   * which throw: a {@code 401} after authenticating, or a {@code 403} ({@code UNAUTHORIZED} /
   * {@code DENIED}), a {@code 429} ({@code TOOMANYREQUESTS} with the {@code Retry-After}), a
   * {@code 5xx} or an I/O failure after the retries ({@link #failure}). A body that is not
   * repeatable (a streamed blob) is sent once: no retry, and a {@code 401} for it throws.
   *
   * @param method {@code HEAD}, {@code POST}, {@code PUT}, {@code PATCH} or {@code DELETE}
   * @param name the image name, for the scope
   * @param pathOrUrl a path and query under the registry's base URL, or an absolute URL (an upload's
   *     {@code Location})
   * @param headers extra request headers, e.g. {@code Content-Type}
   * @param body the request's body, or null
   */
  WriteAnswer write(String method, String name, String pathOrUrl, Map<String, String> headers,
      org.apache.hc.core5.http.HttpEntity body) {
    return write(method, name, List.of(), pathOrUrl, headers, body);
  }

  /**
   * {@link #write(String, String, String, Map, org.apache.hc.core5.http.HttpEntity)} for a request
   * that also reads other images of the registry: a cross-repository mount reads its {@code from}.
   * Its token is asked with {@code repository:<other>:pull} for each of them besides the push
   * scope of {@code name} (one {@code scope} parameter each), and cached for that set of scopes:
   * a registry that checks the caller may read a mount's source (Wharf does) ignores the mount
   * and starts an upload ({@code 202}) for a token without it.
   *
   * @param reads the other image names the request reads
   */
  WriteAnswer write(String method, String name, List<String> reads, String pathOrUrl, Map<String, String> headers,
      org.apache.hc.core5.http.HttpEntity body) {
    URI uri = pathOrUrl.startsWith("http://") || pathOrUrl.startsWith("https://") ? URI.create(pathOrUrl)
        : URI.create(base + pathOrUrl);
    boolean repeatable = body == null || body.isRepeatable();
    List<String> scopes = new ArrayList<>();
    scopes.add("repository:" + name + ":pull,push");
    reads.forEach(other -> scopes.add("repository:" + other + ":pull"));
    Attempt<WriteAnswer> attempt = () -> writeOnce(method, List.copyOf(scopes), uri, headers, body, repeatable);
    return repeatable ? withRetries(method, uri, attempt) : attempt.run();
  }

  private WriteAnswer writeOnce(String method, List<String> scopes, URI uri, Map<String, String> headers,
      org.apache.hc.core5.http.HttpEntity body, boolean repeatable) {
    Token cached = tokens.getIfPresent(String.join(" ", scopes));
    String authorization = cached != null && cached.expires().isAfter(clock.instant()) ? "Bearer " + cached.value()
        : basicWanted ? basicCredentials : null;
    ClassicHttpResponse r = sendWrite(method, uri, headers, body, authorization, repeatable);
    if (r.getCode() == 401) {
      AuthChallenge challenge = AuthChallenge.parse(header(r, "WWW-Authenticate"));
      String upstreamMessage = errorMessage(r);
      closeQuietly(r);
      if (!repeatable) {
        throw refused(401, upstreamMessage, challenge);
      }
      if (challenge != null && challenge.isBearer() && challenge.realm() != null) {
        authorization = "Bearer " + fetchToken(challenge, scopes);
      } else if (challenge != null && challenge.isBasic() && basicCredentials != null) {
        authorization = basicCredentials;
        basicWanted = true;
      } else {
        throw refused(401, upstreamMessage, challenge);
      }
      r = sendWrite(method, uri, headers, body, authorization, true);
    }
    try (ClassicHttpResponse answer = r) {
      int status = answer.getCode();
      String location = header(answer, "Location");
      String lengthHeader = header(answer, "Content-Length");
      String message = status >= 300 ? errorMessage(answer) : null;
      if (status == 401 || status == 403) {
        throw refused(status, message, null);
      }
      if (status == 429) {
        throw rateLimited(header(answer, "Retry-After"), message);
      }
      if (status >= 500) {
        throw unavailable("answered " + status + " to " + method + " " + uri.getPath() + ": " + message, null);
      }
      return new WriteAnswer(status, location == null ? null : uri.resolve(location), header(answer, "Docker-Content-Digest"),
          lengthHeader == null ? -1 : Long.parseLong(lengthHeader.trim()), message, header(answer, "OCI-Subject") != null);
    } catch (IOException e) {
      throw failure(method + " " + uri.getPath(), e);
    }
  }

  private ClassicHttpResponse sendWrite(String method, URI uri, Map<String, String> headers,
      org.apache.hc.core5.http.HttpEntity body, String authorization, boolean repeatable) {
    Supplier<HttpUriRequestBase> request = () -> {
      HttpUriRequestBase req = new HttpUriRequestBase(method, uri);
      headers.forEach(req::setHeader);
      if (authorization != null) {
        req.setHeader("Authorization", authorization);
      }
      if (body != null) {
        req.setEntity(body);
      }
      return req;
    };
    try {
      // a body sent once cannot be sent again on a fresh connection
      return repeatable ? execute(request) : http.executeOpen(null, request.get(), null);
    } catch (IOException e) {
      throw failure(method + " " + uri.getPath(), e);
    }
  }

  private ClassicHttpResponse followRedirects(String method, ClassicHttpResponse r, String accept, URI uri,
      String authorization) {
    for (int i = 0; i < MAX_REDIRECTS && isRedirect(r.getCode()); i++) {
      String location = header(r, "Location");
      closeQuietly(r);
      if (location == null) {
        throw invalid("redirected without a Location", null);
      }
      URI target = uri.resolve(location);
      // Credentials stay with the registry: a CDN behind a redirect gets a presigned URL only.
      boolean sameHost = target.getHost() != null && target.getHost().equalsIgnoreCase(uri.getHost())
          && target.getPort() == uri.getPort();
      r = send(method, target, accept, sameHost ? authorization : null);
      uri = target;
    }
    return r;
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private ClassicHttpResponse send(String method, URI uri, String accept, String authorization) {
    try {
      return execute(() -> request(method, uri, accept, authorization));
    } catch (IOException e) {
      throw failure(method + " " + uri.getPath(), e);
    }
  }

  /**
   * Executes a GET or HEAD; if the pooled connection it went out on was closed under it (no
   * answer, or a reset before one), sends it again on a new connection, whatever {@code retries}
   * says: nothing reached the upstream. The other idle connections of the pool are closed first,
   * since they are as likely to be stale (the peer that closed this one, often a forward proxy,
   * closes them all alike), and the retry would otherwise lease the next stale one.
   */
  private ClassicHttpResponse execute(Supplier<HttpUriRequestBase> request) throws IOException {
    for (int attempt = 0; ; attempt++) {
      try {
        return http.executeOpen(null, request.get(), null);
      } catch (IOException e) {
        if (!isStaleConnection(e) || attempt == STALE_CONNECTION_RETRIES) {
          throw e;
        }
        LOG.debug("{}: connection closed before an answer ({}), sending again on a new connection", host,
            e.toString());
        pool.closeIdle(TimeValue.ZERO_MILLISECONDS);
      }
    }
  }

  private static HttpUriRequestBase request(String method, URI uri, String accept, String authorization) {
    HttpUriRequestBase req = "HEAD".equals(method) ? new HttpHead(uri) : new HttpGet(uri);
    if (accept != null) {
      req.setHeader("Accept", accept);
    }
    if (authorization != null) {
      req.setHeader("Authorization", authorization);
    }
    return req;
  }

  /**
   * A failure of a connection that was open, before any answer: the other side closed it (no
   * response at all) or reset it. Failures to connect are not: a new connection would fail alike.
   */
  private static boolean isStaleConnection(IOException e) {
    return e instanceof NoHttpResponseException
        || (e instanceof SocketException && !(e instanceof ConnectException) && !(e instanceof NoRouteToHostException));
  }

  /**
   * The token dance: GET realm?service=…&scope=…[&scope=…] (Basic credentials if configured). The
   * first scope is the challenge's if it names one, else the first of {@code scopes}; each other of
   * {@code scopes} the challenge does not name follows in a {@code scope} parameter of its own. The
   * token is cached under {@code scopes}, the set the caller asks for.
   */
  private String fetchToken(AuthChallenge challenge, List<String> scopes) {
    String first = challenge.scope() != null ? challenge.scope() : scopes.get(0);
    List<String> asked = new ArrayList<>(List.of(first));
    List<String> named = List.of(first.trim().split("\\s+"));
    for (String scope : scopes.subList(1, scopes.size())) {
      if (!named.contains(scope)) {
        asked.add(scope);
      }
    }
    StringBuilder url = new StringBuilder(challenge.realm());
    url.append(challenge.realm().contains("?") ? '&' : '?');
    url.append("service=").append(URLEncoder.encode(
        challenge.service() != null ? challenge.service() : base.getHost(), StandardCharsets.UTF_8));
    for (String scope : asked) {
      url.append("&scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
    }
    URI tokenUri = URI.create(url.toString());
    try (ClassicHttpResponse r = execute(() -> {
      HttpGet req = new HttpGet(tokenUri);
      if (basicCredentials != null) {
        req.setHeader("Authorization", basicCredentials);
      }
      return req;
    })) {
      if (r.getCode() != 200) {
        String message = errorMessage(r);
        if (r.getCode() == 401 || r.getCode() == 403) {
          throw refused(r.getCode(), "token endpoint " + URI.create(challenge.realm()).getHost() + " said: " + message, challenge);
        }
        throw unavailable("token endpoint answered " + r.getCode() + ": " + message, null);
      }
      JsonNode body = JSON.readTree(EntityUtils.toByteArray(r.getEntity(), 1024 * 1024));
      JsonNode token = body.hasNonNull("token") ? body.get("token") : body.get("access_token");
      if (token == null || token.asString().isEmpty()) {
        throw invalid("token endpoint sent no token", null);
      }
      long expiresIn = body.hasNonNull("expires_in") ? body.get("expires_in").asLong(60) : 60;
      // Renew a little early so a token does not expire between check and use.
      Instant expires = clock.instant().plusSeconds(Math.max(1, expiresIn - Math.min(10, expiresIn / 10)));
      tokens.put(String.join(" ", scopes), new Token(token.asString(), expires));
      return token.asString();
    } catch (IOException e) {
      throw failure("fetching a token from " + URI.create(challenge.realm()).getHost(), e);
    } catch (JacksonException e) {
      throw invalid("token endpoint sent unreadable JSON: " + e.getOriginalMessage(), e);
    }
  }

  private UpstreamException refused(int status, String upstreamMessage, AuthChallenge challenge) {
    boolean anonymous = basicCredentials == null;
    String who = anonymous ? "anonymous access" : "the configured credentials";
    return new UpstreamException(status == 403 ? ErrorCode.DENIED : ErrorCode.UNAUTHORIZED,
        "upstream " + host + " refused " + who + " (" + status + "): " + upstreamMessage,
        Map.of("upstream", host), false, null);
  }

  private UpstreamException unavailable(String what, Throwable cause) {
    return new UpstreamException(ErrorCode.UNAVAILABLE, "upstream " + host + " " + what, Map.of("upstream", host),
        true, cause);
  }

  /** The upstream answered with something unusable: 502. */
  UpstreamException invalid(String what, Throwable cause) {
    return new UpstreamException(ErrorCode.UPSTREAM_INVALID, "upstream " + host + " " + what,
        Map.of("upstream", host), true, cause);
  }

  /**
   * The one place that decides what an I/O failure with the upstream means to the client: no
   * byte for the read timeout is {@code 504}, no connection {@code 503}, and a connection that
   * broke off (reset, closed mid-body or before an answer) {@code 502}. {@code during} says what
   * was going on, e.g. {@code GET /v2/x/manifests/1}.
   */
  UpstreamException failure(String during, IOException e) {
    String cause = " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
    if (e instanceof ConnectTimeoutException || e instanceof ConnectException || e instanceof UnknownHostException
        || e instanceof NoRouteToHostException) {
      return new UpstreamException(ErrorCode.UNAVAILABLE, "upstream " + host + " unreachable" + via + " for " + during
          + cause, Map.of("upstream", host), true, e);
    }
    if (e instanceof SocketTimeoutException) {
      return new UpstreamException(ErrorCode.UPSTREAM_TIMEOUT, "upstream " + host + " sent nothing for "
          + seconds(readTimeout) + via + " during " + during + cause, Map.of("upstream", host), true, e);
    }
    return new UpstreamException(ErrorCode.UPSTREAM_INVALID, "upstream " + host + " broke off" + via + " during "
        + during + cause, Map.of("upstream", host), true, e);
  }

  /** {@code 3 s}, {@code 0.5 s}. */
  static String seconds(Duration d) {
    long ms = d.toMillis();
    return (ms % 1000 == 0 ? String.valueOf(ms / 1000) : String.valueOf(ms / 1000.0)) + " s";
  }

  /** The first error message of an upstream error body, or its status line. */
  private static String errorMessage(ClassicHttpResponse r) {
    try {
      if (r.getEntity() != null) {
        byte[] body = EntityUtils.toByteArray(r.getEntity(), 64 * 1024);
        JsonNode root = JSON.readTree(body);
        JsonNode errors = root == null ? null : root.get("errors");
        if (errors != null && errors.isArray() && !errors.isEmpty()) {
          JsonNode e = errors.get(0);
          String code = e.hasNonNull("code") ? e.get("code").asString() : "";
          String message = e.hasNonNull("message") ? e.get("message").asString() : "";
          return (code + " " + message).trim();
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // not a registry error body
    }
    return r.getCode() + " " + (r.getReasonPhrase() == null ? "" : r.getReasonPhrase()).trim();
  }

  private static String header(ClassicHttpResponse r, String name) {
    Header h = r.getFirstHeader(name);
    return h == null ? null : h.getValue();
  }

  /** {@code </v2/x/tags/list?n=100&last=y>; rel="next"} -> the path and query. */
  static String nextLink(String link) {
    if (link == null) {
      return null;
    }
    int lt = link.indexOf('<');
    int gt = link.indexOf('>');
    if (lt < 0 || gt < lt || !link.substring(gt).contains("next")) {
      return null;
    }
    URI u = URI.create(link.substring(lt + 1, gt));
    return u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
  }

  private static void sleepBeforeRetry(int attempt) {
    try {
      Thread.sleep(Math.min(2000, 100L << (attempt - 1)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(ClassicHttpResponse r) {
    try {
      r.close();
    } catch (IOException ignored) {
      // the connection is discarded
    }
  }
}
