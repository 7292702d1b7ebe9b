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
 */
public final class RegistrySource implements SyncSource, Closeable {
  private final UpstreamClient upstream;
  private final Clock clock;

  private RegistrySource(Builder b) {
    this.clock = b.clock;
    this.upstream = new UpstreamClient(b.url, b.username, b.password, b.connectTimeout, b.readTimeout, b.retries,
        b.userAgent, b.proxy, b.clock);
  }

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

    private Builder(URI url) {
      this.url = url;
    }

    /** Basic credentials, also used for the token endpoint; both null: anonymous. */
    public Builder credentials(String username, String password) {
      this.username = username;
      this.password = password;
      return this;
    }

    public Builder connectTimeout(Duration d) {
      this.connectTimeout = d;
      return this;
    }

    public Builder readTimeout(Duration d) {
      this.readTimeout = d;
      return this;
    }

    public Builder retries(int n) {
      this.retries = n;
      return this;
    }

    public Builder userAgent(String ua) {
      this.userAgent = ua;
      return this;
    }

    public Builder outboundProxy(OutboundProxy p) {
      this.proxy = p == null ? OutboundProxy.DIRECT : p;
      return this;
    }

    public Builder clock(Clock c) {
      this.clock = c;
      return this;
    }

    public RegistrySource build() {
      return new RegistrySource(this);
    }
  }
}
