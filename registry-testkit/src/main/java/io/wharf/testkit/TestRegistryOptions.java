package io.wharf.testkit;

import io.wharf.core.repository.WritePolicy;
import io.wharf.proxy.IndexMode;
import io.wharf.proxy.ProxyRepository;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How a {@link TestRegistry} is set up. Fluent and mutable; {@link TestRegistry#start} takes a
 * copy, so one options object can start several registries.
 *
 * <pre>
 * TestRegistry registry = TestRegistry.start(TestRegistryOptions.defaults()
 *     .storage(Storage.TEMP_DIRECTORY)
 *     .fakeUpstream());                 // + a proxy of a second registry, and a group over both
 * </pre>
 *
 * Defaults: one hosted repository named {@value TestRegistry#HOSTED} on a free port of
 * 127.0.0.1, in memory, anonymous pull and push, write policy {@code allow}.
 */
public final class TestRegistryOptions {

  /** Where the hosted repository (and a proxy's cache) keep their bytes. */
  public enum Storage {
    /** In memory; nothing touches the disk (default). */
    MEMORY,
    /** A fresh temporary directory in CNCF distribution's layout, deleted on {@code close()}. */
    TEMP_DIRECTORY
  }

  private String host = "127.0.0.1";
  private int port;
  private Storage storage = Storage.MEMORY;
  private String repositoryName = TestRegistry.HOSTED;
  private WritePolicy writePolicy = WritePolicy.ALLOW;
  private TestClock clock;
  private boolean kitClock;
  private boolean fakeUpstream;
  private URI upstreamUrl;
  private IndexMode indexMode = IndexMode.HUB;
  private boolean group = true;
  private Consumer<ProxyRepository.Builder> proxyCustomizer = b -> { };
  private String username;
  private String password;
  private boolean anonymousPull;
  private String upstreamUsername;
  private String upstreamPassword;
  private boolean https;

  private TestRegistryOptions() {}

  /**
   * A new set of options with the defaults the class describes, to change with the fluent setters.
   *
   * @return new options
   */
  public static TestRegistryOptions defaults() {
    return new TestRegistryOptions();
  }

  /**
   * An independent copy: changing it leaves these options as they are.
   *
   * @return the copy
   */
  public TestRegistryOptions copy() {
    TestRegistryOptions c = new TestRegistryOptions();
    c.host = host;
    c.port = port;
    c.storage = storage;
    c.repositoryName = repositoryName;
    c.writePolicy = writePolicy;
    c.clock = clock;
    c.kitClock = kitClock;
    c.fakeUpstream = fakeUpstream;
    c.upstreamUrl = upstreamUrl;
    c.indexMode = indexMode;
    c.group = group;
    c.proxyCustomizer = proxyCustomizer;
    c.username = username;
    c.password = password;
    c.anonymousPull = anonymousPull;
    c.upstreamUsername = upstreamUsername;
    c.upstreamPassword = upstreamPassword;
    c.https = https;
    return c;
  }

  /**
   * The address to listen on (default {@code 127.0.0.1}; the kit is for loopback tests).
   *
   * @param host an IP address or host name of this machine
   * @return these options
   */
  public TestRegistryOptions host(String host) {
    this.host = Objects.requireNonNull(host);
    return this;
  }

  /**
   * The main port (default 0: a free one). Extra repositories always get free ports.
   *
   * @param port the port, or 0 for a free one
   * @return these options
   */
  public TestRegistryOptions port(int port) {
    this.port = port;
    return this;
  }

  /**
   * Where the hosted repository (and a proxy's cache) keep their bytes (default {@link
   * Storage#MEMORY}).
   *
   * @param storage memory or a temporary directory
   * @return these options
   */
  public TestRegistryOptions storage(Storage storage) {
    this.storage = Objects.requireNonNull(storage);
    return this;
  }

  /**
   * The hosted repository's name (default {@value TestRegistry#HOSTED}); it shows in the journal.
   *
   * @param name the repository's name
   * @return these options
   */
  public TestRegistryOptions repositoryName(String name) {
    this.repositoryName = Objects.requireNonNull(name);
    return this;
  }

  /**
   * {@code allow} (default), {@code allow_once} (tags are written once) or {@code deny}
   * (read-only).
   *
   * @param policy the hosted repository's write policy
   * @return these options
   */
  public TestRegistryOptions writePolicy(WritePolicy policy) {
    this.writePolicy = Objects.requireNonNull(policy);
    return this;
  }

  /**
   * The clock of the registry's proxy repositories (default: a new {@link TestClock#frozen()}).
   *
   * @param clock the clock, which the test then moves
   * @return these options
   */
  public TestRegistryOptions clock(TestClock clock) {
    this.clock = Objects.requireNonNull(clock);
    return this;
  }

  /**
   * Adds a fake upstream with Docker Hub's naming: a second test registry ({@link
   * TestRegistry#upstream()}), a proxy repository {@value TestRegistry#PROXY} of it in which
   * {@code alpine} means {@code library/alpine}, and a group {@value TestRegistry#GROUP} over the
   * hosted repository and the proxy. Each has its own port.
   *
   * @return these options
   */
  public TestRegistryOptions fakeUpstream() {
    return fakeUpstream(IndexMode.HUB);
  }

  /**
   * As {@link #fakeUpstream()}, with {@link IndexMode#REGISTRY} for names passed through unchanged.
   *
   * @param mode how the proxy maps image names onto the upstream's
   * @return these options
   */
  public TestRegistryOptions fakeUpstream(IndexMode mode) {
    this.fakeUpstream = true;
    this.upstreamUrl = null;
    this.indexMode = Objects.requireNonNull(mode);
    return this;
  }

  /**
   * Adds a proxy repository {@value TestRegistry#PROXY} of a registry that already runs (another
   * {@code TestRegistry}'s {@code url()}, a {@code docker-registry} process), and the group.
   *
   * @param upstream the upstream registry's base URL, e.g. {@code http://127.0.0.1:5000}
   * @param mode how the proxy maps image names onto the upstream's
   * @return these options
   */
  public TestRegistryOptions proxyOf(URI upstream, IndexMode mode) {
    this.upstreamUrl = Objects.requireNonNull(upstream);
    this.fakeUpstream = false;
    this.indexMode = Objects.requireNonNull(mode);
    return this;
  }

  /**
   * Whether a proxy comes with a group over it and the hosted repository (default true).
   *
   * @param group false for a proxy without a group
   * @return these options
   */
  public TestRegistryOptions group(boolean group) {
    this.group = group;
    return this;
  }

  /**
   * Adjusts the proxy repository beyond the kit's settings, which differ from a server's in two
   * ways: no retries (an injected fault reaches the proxy's logic at once) and short timeouts
   * (2 s connect, 10 s read). The kit's {@link TestClock} is set before this runs.
   *
   * <pre>
   * options.proxy(p -> p.metadataMaxAge(Duration.ofHours(6)).negativeCacheTtl(Duration.ofMinutes(1)))
   * </pre>
   *
   * @param customizer changes the proxy's builder; several calls apply in order
   * @return these options
   */
  public TestRegistryOptions proxy(Consumer<ProxyRepository.Builder> customizer) {
    Consumer<ProxyRepository.Builder> before = this.proxyCustomizer;
    Objects.requireNonNull(customizer);
    this.proxyCustomizer = b -> {
      before.accept(b);
      customizer.accept(b);
    };
    return this;
  }

  /**
   * Turns authentication on, with the server's own security: one user with every privilege,
   * Docker's token protocol ({@code /v2/token}, what docker, skopeo and Jib use) and Basic
   * credentials. Anonymous requests are refused (see {@link #anonymousPull}). Tokens expire after
   * 5 minutes of {@link TestClock} time, so {@code clock().advance(...)} tests token expiry.
   *
   * @param username the user's name
   * @param password the user's password
   * @return these options
   */
  public TestRegistryOptions credentials(String username, String password) {
    this.username = Objects.requireNonNull(username);
    this.password = Objects.requireNonNull(password);
    return this;
  }

  /**
   * With {@link #credentials}: anonymous callers may still pull (push needs the credentials).
   *
   * @param anonymousPull true to let anonymous callers pull
   * @return these options
   */
  public TestRegistryOptions anonymousPull(boolean anonymousPull) {
    this.anonymousPull = anonymousPull;
    return this;
  }

  /**
   * With a fake upstream: the upstream requires these credentials (Docker Hub's token protocol),
   * and the proxy logs in with them.
   *
   * @param username the user the upstream knows
   * @param password that user's password
   * @return these options
   */
  public TestRegistryOptions upstreamCredentials(String username, String password) {
    this.upstreamUsername = Objects.requireNonNull(username);
    this.upstreamPassword = Objects.requireNonNull(password);
    return this;
  }

  /**
   * Serves HTTPS instead of plain HTTP, on every port of the registry, with a self-signed
   * certificate made at start for {@code 127.0.0.1}, {@code ::1} and {@code localhost}; {@link
   * TestRegistry#tls()} hands it out as an {@code SSLContext}, a trust store and PEM files. Clients
   * that refuse to send credentials over plain HTTP (Jib) then need no JVM-wide switch. A fake
   * upstream stays on plain HTTP: only the kit's own proxy talks to it.
   *
   * @return these options
   */
  public TestRegistryOptions https() {
    this.https = true;
    return this;
  }

  boolean isHttps() {
    return https;
  }

  String host() {
    return host;
  }

  int port() {
    return port;
  }

  Storage storage() {
    return storage;
  }

  String repositoryName() {
    return repositoryName;
  }

  WritePolicy writePolicy() {
    return writePolicy;
  }

  TestClock clock() {
    return clock;
  }

  /** Sets a clock the kit made itself (reset() may move it back to the present). */
  TestRegistryOptions kitClock(TestClock clock) {
    this.clock = clock;
    this.kitClock = true;
    return this;
  }

  boolean isKitClock() {
    return kitClock;
  }

  boolean hasFakeUpstream() {
    return fakeUpstream;
  }

  URI upstreamUrl() {
    return upstreamUrl;
  }

  boolean hasProxy() {
    return fakeUpstream || upstreamUrl != null;
  }

  IndexMode indexMode() {
    return indexMode;
  }

  boolean group() {
    return group;
  }

  void customizeProxy(ProxyRepository.Builder b) {
    b.retries(0).connectTimeout(Duration.ofSeconds(2)).readTimeout(Duration.ofSeconds(10));
    proxyCustomizer.accept(b);
  }

  String username() {
    return username;
  }

  String password() {
    return password;
  }

  boolean anonymousPullAllowed() {
    return anonymousPull;
  }

  String upstreamUsername() {
    return upstreamUsername;
  }

  String upstreamPassword() {
    return upstreamPassword;
  }
}
