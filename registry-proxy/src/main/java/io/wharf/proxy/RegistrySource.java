package io.wharf.proxy;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.model.Digest;
import io.wharf.proxy.sync.RateLimitedException;
import io.wharf.proxy.sync.SyncSource;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A remote registry as a sync source, through the proxy's {@link UpstreamClient}: the same token
 * dance, redirects without credentials, retries of transient failures and timeouts as a proxy
 * repository. A {@code 429} becomes a {@link RateLimitedException} with the upstream's
 * {@code Retry-After}, so that the run pauses instead of failing. Credentials are never logged.
 *
 * <p>Built with {@link #builder(URI)}, e.g.
 * {@code RegistrySource.builder(URI.create("https://registry-1.docker.io")).credentials(user, password).build()};
 * close it when the run is done to release its connections. A {@code 404} (or {@code 400}) is
 * "not there", an empty answer; any other error of the registry (a {@code 403}, a {@code 5xx} or a
 * timeout after the retries, a redirect without a target) comes out of the {@link SyncSource}
 * methods as a {@link io.wharf.core.error.RegistryException} with the code a client of a proxy
 * would see.
 */
public final class RegistrySource implements SyncSource, Closeable {
  private final UpstreamClient upstream;
  private final Clock clock;

  private RegistrySource(Builder b) {
    this.clock = b.clock;
    this.upstream = b.client();
  }

  /**
   * Starts configuring a source for one registry.
   *
   * @param url the registry's base URL, http or https, e.g. {@code https://registry-1.docker.io}
   *     (without {@code /v2/})
   * @return a builder with the defaults: anonymous, 10 s to connect, 60 s to read, 2 retries,
   *     user agent {@code wharf-sync}, no outbound proxy, the system clock
   */
  public static Builder builder(URI url) {
    return new Builder(url);
  }

  @Override
  public String describe() {
    return upstream.host();
  }

  @Override
  public Optional<List<String>> catalog() {
    return limited(upstream::catalog);
  }

  @Override
  public Optional<List<String>> tags(String name) {
    return limited(() -> upstream.listTags(name));
  }

  @Override
  public Optional<Digest> manifestDigest(String name, String reference) {
    Optional<Digest> head = limited(() -> upstream.headManifest(name, reference)).map(UpstreamClient.ManifestHead::digest);
    if (head.isPresent()) {
      return head;
    }
    // no answer to HEAD, or one without Docker-Content-Digest: the body's digest is the answer
    return limited(() -> upstream.getManifest(name, reference)).map(m -> Digest.sha256(m.bytes()));
  }

  @Override
  public Optional<SourceManifest> manifest(String name, String reference) {
    return limited(() -> upstream.getManifest(name, reference)).map(m -> new SourceManifest(m.bytes(), m.mediaType(),
        m.digestHeader() == null ? null : Digest.parse(m.digestHeader().trim())));
  }

  @Override
  public Optional<SourceBlob> blob(String name, Digest digest) throws IOException {
    try {
      return upstream.openBlob(name, digest).map(b -> new SourceBlob(b.body(), b.size(), b));
    } catch (UpstreamException e) {
      throw translated(e);
    }
  }

  @Override
  public List<Digest> referrers(String name, Digest subject) {
    return limited(() -> upstream.listReferrers(name, subject));
  }

  /**
   * Releases the HTTP client's connections; call it once no blob opened from this source is read
   * any more.
   *
   * @throws IOException if closing the client fails
   */
  @Override
  public void close() throws IOException {
    upstream.close();
  }

  private interface Call<T> {
    T call();
  }

  private <T> T limited(Call<T> call) {
    try {
      return call.call();
    } catch (UpstreamException e) {
      throw translated(e);
    }
  }

  /** A 429 becomes a pause for the run; anything else stays the upstream's error. */
  private RuntimeException translated(UpstreamException e) {
    if (e.code() != ErrorCode.TOOMANYREQUESTS) {
      return e;
    }
    Object retryAfter = e.detail() instanceof Map<?, ?> detail ? detail.get("retryAfter") : null;
    return new RateLimitedException(e.getMessage(),
        RateLimitedException.parseRetryAfter(retryAfter == null ? null : retryAfter.toString(), clock.instant()));
  }

  /**
   * Configures a {@link RegistrySource}; every setting has a default (see
   * {@link RegistrySource#builder(URI)}). Not thread-safe; each setter returns this builder.
   */
  public static final class Builder {
    private final URI url;
    private String username;
    private String password;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration readTimeout = Duration.ofSeconds(60);
    private int retries = 2;
    private String userAgent = "wharf-sync";
    private OutboundProxy proxy = OutboundProxy.DIRECT;
    private Clock clock = Clock.systemUTC();
    private String credentialsName;

    private Builder(URI url) {
      this.url = url;
    }

    /**
     * Logs in with a user name and password: sent as basic credentials to the registry and to the
     * token endpoint its {@code WWW-Authenticate} challenge names (never on a redirect, never
     * logged).
     *
     * @param username the user name, or null (with {@code password}) for anonymous access
     * @param password the password or access token, or null for anonymous access
     * @return this builder
     */
    public Builder credentials(String username, String password) {
      this.username = username;
      this.password = password;
      return this;
    }

    /**
     * The name the credentials go by in the configuration, for messages: a registry's refusal then
     * says which credentials it refused (the secret is never shown).
     *
     * @param name the credentials' name, e.g. {@code backup-push}, or null
     * @return this builder
     */
    public Builder credentialsName(String name) {
      this.credentialsName = name;
      return this;
    }

    /**
     * How long to wait for a connection to the registry (or its token endpoint).
     *
     * @param d the connect timeout; 10 s unless set
     * @return this builder
     */
    public Builder connectTimeout(Duration d) {
      this.connectTimeout = d;
      return this;
    }

    /**
     * How long to wait for the registry's answer to one request.
     *
     * @param d the read timeout; 60 s unless set
     * @return this builder
     */
    public Builder readTimeout(Duration d) {
      this.readTimeout = d;
      return this;
    }

    /**
     * How often a request is sent again after a transient failure (a connection error, a timeout, a
     * {@code 5xx}) before it fails. A {@code 429} is not retried here: it becomes a
     * {@link RateLimitedException} for the run to wait out.
     *
     * @param n the number of retries, 0 for none; 2 unless set
     * @return this builder
     */
    public Builder retries(int n) {
      this.retries = n;
      return this;
    }

    /**
     * The {@code User-Agent} header of every request, so that the registry's operators can tell
     * sync traffic apart.
     *
     * @param ua the header's value; {@code wharf-sync} unless set
     * @return this builder
     */
    public Builder userAgent(String ua) {
      this.userAgent = ua;
      return this;
    }

    /**
     * An HTTP proxy to reach the registry through, as for proxy repositories.
     *
     * @param p the proxy, or null (the default) to connect directly
     * @return this builder
     */
    public Builder outboundProxy(OutboundProxy p) {
      this.proxy = p == null ? OutboundProxy.DIRECT : p;
      return this;
    }

    /**
     * The clock that reads a {@code Retry-After} given as an HTTP date (tests set a fixed one).
     *
     * @param c the clock; the system's UTC clock unless set
     * @return this builder
     */
    public Builder clock(Clock c) {
      this.clock = c;
      return this;
    }

    /**
     * Makes the source. Nothing is sent to the registry until the first call.
     *
     * @return a new source with this builder's settings; the caller closes it
     */
    public RegistrySource build() {
      return new RegistrySource(this);
    }

    /**
     * Makes a target writing to the registry (a push rule's), with the same settings. Nothing is
     * sent until the first call.
     *
     * @return a new target with this builder's settings; the caller closes it
     */
    public RegistryTarget buildTarget() {
      return new RegistryTarget(client(), credentialsName, clock);
    }

    private UpstreamClient client() {
      return new UpstreamClient(url, username, password, connectTimeout, readTimeout, retries, userAgent, proxy, clock);
    }
  }
}
