package io.wharf.testkit;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Repository;
import io.wharf.core.repository.WritePolicy;
import io.wharf.core.storage.StorageDriver;
import io.wharf.proxy.ProxyRepository;
import io.wharf.server.auth.AccessControl;
import io.wharf.server.http.OciErrorHandler;
import io.wharf.server.http.RegistryServlet;
import io.wharf.storage.fs.FilesystemDriver;
import io.wharf.storage.memory.InMemoryDriver;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServlet;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A real Wharf registry inside the test's JVM, on a free loopback port, with in-memory storage
 * by default: start it, point the pipeline under test at {@link #hostPort()}, then look at what
 * arrived ({@link #tags}, {@link #manifest}, {@link #blobs}) and at how it arrived ({@link
 * #journal()}).
 *
 * <pre>
 * try (TestRegistry registry = TestRegistry.start()) {
 *   registry.push("base/java", "17", TestImages.random().layers(2, 4096).build());   // seed
 *   runPipeline("--from", registry.imageRef("base/java", "17"), "--to", registry.imageRef("team/app", "1.0"));
 *   assertThat(registry.tags("team/app")).containsExactly("1.0");
 *   assertThat(registry.journal().pushedTags("team/app")).containsExactly("1.0");
 * }
 * </pre>
 *
 * In JUnit 5 or 6, {@link WharfRegistry @WharfRegistry} starts and stops it for you. With
 * {@link TestRegistryOptions#fakeUpstream()} it also runs a second registry as an upstream
 * ({@link #upstream()}), a proxy repository of it ({@link #proxy()}) and a group over both
 * ({@link #group()}), each on its own port; {@link #faults()} of the upstream make it misbehave
 * and {@link #clock()} moves the proxy's time.
 *
 * <p>Anonymous pull and push, unless {@link TestRegistryOptions#credentials} turns on the
 * server's authentication (then see {@link #credentials()}).
 * Thread-safe; {@link #close()} stops the server and deletes whatever it wrote.
 */
public final class TestRegistry implements AutoCloseable {
  /** The hosted repository's default name. */
  public static final String HOSTED = "hosted";
  /** The proxy repository's name (with a fake upstream or {@link TestRegistryOptions#proxyOf}). */
  public static final String PROXY = "proxy";
  /** The group's name: the hosted repository, then the proxy. */
  public static final String GROUP = "group";

  private static final AtomicInteger IDS = new AtomicInteger();

  private final TestRegistryOptions options;
  private final TestClock clock;
  private final boolean ownClock;
  private final RequestJournal journal = new RequestJournal();
  private final Faults faults = new Faults();
  private final TestRegistry upstream;
  private final Server jetty;
  private final Map<String, ServerConnector> connectors = new LinkedHashMap<>();
  /** The ports, kept so that {@code url()} still names them after {@code close()}. */
  private final Map<String, URI> urls = new LinkedHashMap<>();
  private final Map<String, TestRepository> views = new LinkedHashMap<>();
  /** While {@link Faults#down()}: a bound socket per port that keeps it ours without listening. */
  private final Map<String, SocketChannel> placeholders = new LinkedHashMap<>();
  private final Path tempRoot;
  private final String hostedName;
  /** The server's security when the options ask for credentials; null: anonymous pull and push. */
  private final AccessControl access;
  /** The certificate with {@link TestRegistryOptions#https()}; null: plain HTTP. */
  private final TestTls tls;
  private volatile State state;
  private int generation;
  private boolean closed;

  /** The live objects, replaced as a whole by {@link #reset()}. */
  record State(Map<String, Repository> repositories, Map<String, Repository> inspectors,
      Map<String, StorageDriver> drivers, Map<String, Path> storageDirectories, Map<String, HttpServlet> servlets,
      List<Closeable> closeables, List<Path> directories) {}

  private TestRegistry(TestRegistryOptions options, TestRegistry upstream) throws Exception {
    this.options = options;
    this.ownClock = options.isKitClock();
    this.clock = options.clock();
    this.upstream = upstream;
    this.hostedName = options.repositoryName();
    boolean needsDisk = options.storage() == TestRegistryOptions.Storage.TEMP_DIRECTORY || options.hasProxy()
        || options.isHttps();
    this.tempRoot = needsDisk ? Files.createTempDirectory("wharf-testkit-") : null;
    try {
      this.tls = options.isHttps() ? TestTls.create(tempRoot.resolve("tls")) : null;
    } catch (RuntimeException e) {
      Seeder.deleteTree(tempRoot);
      throw e;
    }

    List<String> names = new ArrayList<>();
    names.add(hostedName);
    if (options.hasProxy()) {
      names.add(PROXY);
      if (options.group()) {
        names.add(GROUP);
      }
    }
    this.access = options.username() == null ? null
        : KitSecurity.create(options.username(), options.password(), options.anonymousPullAllowed(), names, clock);
    this.state = build();

    int id = IDS.incrementAndGet();
    JettyWarmUp.awaitJetty();
    // The JDK's two-lock queue, unbounded like Jetty's default one: Jetty's own queue
    // (BlockingArrayQueue) asks the platform MBean server for the VM's compressed-oops setting
    // when first loaded, which starts JMX in the test's JVM (some 350 classes, about 8 % of the
    // CPU of a first start) for a cache-line padding a test registry does not need.
    QueuedThreadPool threads = new QueuedThreadPool(64, 2, new LinkedBlockingQueue<>());
    threads.setName("wharf-test-" + id);
    threads.setDaemon(true); // a registry someone forgot to close must not keep the JVM alive
    jetty = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setRequestHeaderSize(16 * 1024);
    // Jetty's own refusals (an ambiguous path, headers too large) in the OCI envelope, as Wharf's server.
    OciErrorHandler errors = new OciErrorHandler();
    jetty.setErrorHandler(errors);
    ContextHandlerCollection contexts = new ContextHandlerCollection();
    SslContextFactory.Server ssl = null;
    HttpConfiguration connection = http;
    if (tls != null) {
      ssl = new SslContextFactory.Server();
      ssl.setKeyStore(tls.keyStore());
      ssl.setKeyStorePassword(tls.keyPassword());
      connection = new HttpConfiguration(http);
      // clients check the certificate against the host they asked for; the server need not (SNI)
      connection.addCustomizer(new SecureRequestCustomizer(false));
    }
    for (String name : names) {
      ServerConnector c = ssl == null ? new ServerConnector(jetty, 1, 1, new HttpConnectionFactory(connection))
          : new ServerConnector(jetty, 1, 1, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(connection));
      c.setHost(options.host());
      c.setPort(name.equals(hostedName) ? options.port() : 0);
      c.setName(name);
      jetty.addConnector(c);
      connectors.put(name, c);

      ServletContextHandler context = new ServletContextHandler("/");
      context.setVirtualHosts(List.of("@" + name)); // each port serves exactly one repository
      context.setErrorHandler(errors);
      context.addFilter(new FilterHolder(new JournalFilter(journal, name)), "/*", EnumSet.of(DispatcherType.REQUEST));
      context.addFilter(new FilterHolder(new FaultFilter(faults)), "/*", EnumSet.of(DispatcherType.REQUEST));
      context.addServlet(new ServletHolder("registry", new CurrentServlet(this, name)), "/*");
      contexts.addHandler(context);
      views.put(name, new TestRepository(this, name));
    }
    jetty.setHandler(contexts);
    try {
      jetty.start();
    } catch (Exception e) {
      try {
        jetty.stop();
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
      release(state);
      Seeder.deleteTree(tempRoot);
      throw e;
    }
    connectors.forEach((name, c) -> urls.put(name, url(c, tls != null)));
    faults.ports(this::setPortsDown);
  }

  /**
   * {@link Faults#down()}: stops listening on every port, or listens again. While down, each port
   * is held by a socket that is bound but not listening: connections to it are refused (the
   * kernel answers with a reset), and no other socket on the machine can take the port meanwhile
   * (a free port handed back could become any process's outgoing port on a busy machine).
   */
  private synchronized void setPortsDown(boolean down) {
    if (closed) {
      return; // stopped for good
    }
    for (ServerConnector c : connectors.values()) {
      String name = c.getName();
      try {
        if (down) {
          int port = c.getLocalPort();
          c.setPort(port); // a free port was asked for: come back on the one we got
          c.stop();
          SocketChannel hold = holdPort(c.getHost(), port);
          if (hold != null) {
            placeholders.put(name, hold);
          }
        } else {
          SocketChannel hold = placeholders.remove(name);
          if (hold != null) {
            hold.close();
          }
          c.start();
        }
      } catch (Exception e) {
        throw new IllegalStateException("could not " + (down ? "stop" : "start again") + " listening on "
            + urls.get(name) + ": " + e, e);
      }
    }
  }

  /**
   * A socket bound to {@code port} but not listening, or null if none could be bound within a few
   * seconds: the connections the stopped connector closed may keep the port bound a while (a
   * peer that has not closed its end yet). Without the placeholder the port is still closed, as
   * {@link Faults#down()} promises; it is only not reserved.
   */
  private static SocketChannel holdPort(String host, int port) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (true) {
      SocketChannel hold = SocketChannel.open();
      try {
        hold.setOption(StandardSocketOptions.SO_REUSEADDR, true); // closed connections of the port linger
        hold.bind(new InetSocketAddress(host, port));
        return hold;
      } catch (java.net.BindException e) {
        hold.close();
        if (System.nanoTime() > deadline) {
          return null;
        }
        Thread.sleep(50); // a condition polled with a generous deadline, not a timing assumption
      }
    }
  }

  /**
   * Starts a registry with the default options ({@link TestRegistryOptions#defaults()}).
   *
   * @return the running registry; close it when done
   */
  public static TestRegistry start() {
    return start(TestRegistryOptions.defaults());
  }

  /**
   * Starts a registry; it is serving when this returns. Close it to stop it.
   *
   * @param options how to set it up (copied: changing them later does not affect this registry)
   * @return the running registry
   * @throws IllegalStateException if it could not start (a port in use, for one)
   */
  public static TestRegistry start(TestRegistryOptions options) {
    JettyWarmUp.begin();
    TestRegistryOptions o = options.copy();
    if (o.clock() == null) {
      o.kitClock(TestClock.frozen());
    }
    TestRegistry up = null;
    try {
      if (o.hasFakeUpstream()) {
        TestRegistryOptions upstreamOptions = TestRegistryOptions.defaults().host(o.host()).repositoryName("upstream")
            .storage(o.storage());
        if (o.isKitClock()) {
          upstreamOptions.kitClock(o.clock()); // one clock for both; reset() may move it
        } else {
          upstreamOptions.clock(o.clock()); // the caller's clock: only the caller moves it
        }
        if (o.upstreamUsername() != null) {
          upstreamOptions.credentials(o.upstreamUsername(), o.upstreamPassword());
        }
        up = new TestRegistry(upstreamOptions, null);
      }
      return new TestRegistry(o, up);
    } catch (Exception e) {
      if (up != null) {
        up.close();
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("could not start the test registry: " + e, e);
    }
  }

  /**
   * A user name and password.
   *
   * @param username the user's name
   * @param password the user's password (not shown by {@code toString()})
   */
  public record Credentials(String username, String password) {
    @Override
    public String toString() {
      return "Credentials[" + username + "]";
    }
  }

  /** {@return the credentials clients need, if the options turned authentication on} */
  public Optional<Credentials> credentials() {
    return options.username() == null ? Optional.empty()
        : Optional.of(new Credentials(options.username(), options.password()));
  }

  // ---- where it is

  /**
   * {@code http://127.0.0.1:PORT} ({@code https://} with {@link TestRegistryOptions#https()}): the
   * hosted repository's base URL ({@code /v2/} is below it).
   *
   * @return the hosted repository's base URL
   */
  public URI url() {
    return hosted().url();
  }

  /** {@return {@code 127.0.0.1:PORT}: what goes before the image name in an image reference} */
  public String hostPort() {
    return hosted().hostPort();
  }

  /**
   * {@code 127.0.0.1:PORT/NAME:TAG}, or {@code ...NAME@DIGEST} when {@code reference} is a digest.
   *
   * @param name the image name, e.g. {@code team/app}
   * @param reference a tag, or a digest ({@code sha256:...})
   * @return the image reference for the hosted repository
   */
  public String imageRef(String name, String reference) {
    return hosted().imageRef(name, reference);
  }

  /** {@return the hosted repository} */
  public TestRepository hosted() {
    return views.get(hostedName);
  }

  /** {@return the proxy repository of the upstream; fails if the options asked for none} */
  public TestRepository proxy() {
    return repository(PROXY);
  }

  /**
   * {@return the group over the hosted repository and the proxy; fails if the options asked for
   * none}
   */
  public TestRepository group() {
    return repository(GROUP);
  }

  /**
   * A repository by name: {@link #HOSTED} (or the name given), {@link #PROXY}, {@link #GROUP}.
   *
   * @param name the repository's name
   * @return its view
   * @throws IllegalArgumentException if this registry has no such repository
   */
  public TestRepository repository(String name) {
    TestRepository view = views.get(name);
    if (view == null) {
      throw new IllegalArgumentException("no repository " + name + " in this test registry; it has " + views.keySet()
          + (options.hasProxy() ? "" : " (a proxy and a group come with TestRegistryOptions.fakeUpstream())"));
    }
    return view;
  }

  /**
   * The certificate of a registry started with {@link TestRegistryOptions#https()}: an {@code
   * SSLContext}, a trust store and PEM files for clients. Fails for a plain-HTTP registry.
   *
   * @return the registry's certificate and the ways to trust it
   * @throws IllegalStateException for a plain-HTTP registry
   */
  public TestTls tls() {
    if (tls == null) {
      throw new IllegalStateException("this test registry speaks plain HTTP; start it with"
          + " TestRegistryOptions.defaults().https() (or @WharfRegistry(https = true)) for a certificate");
    }
    return tls;
  }

  /**
   * {@return the fake upstream ({@link TestRegistryOptions#fakeUpstream()}): a test registry of its
   * own}
   */
  public TestRegistry upstream() {
    if (upstream == null) {
      throw new IllegalStateException("this test registry has no fake upstream; start it with"
          + " TestRegistryOptions.defaults().fakeUpstream()");
    }
    return upstream;
  }

  // ---- seeding (straight into the hosted repository; not in the journal)

  /**
   * Pushes a fixture as {@code name:tag}; returns the digest the tag points at.
   *
   * @param name the image name, e.g. {@code team/app}
   * @param tag the tag, e.g. {@code 1.0}
   * @param image the fixture
   * @return the digest of the manifest (or index) the tag points at
   * @throws java.io.UncheckedIOException if storage fails
   * @throws io.wharf.core.error.RegistryException if the name or tag is not valid in a registry
   */
  public Digest push(String name, String tag, TestImage image) {
    try {
      return new Seeder(state.repositories().get(hostedName)).push(ImageName.of(name), Tag.of(tag), image);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Pushes a fixture to {@code name} by digest only (no tag); returns that digest.
   *
   * @param name the image name, e.g. {@code team/app}
   * @param image the fixture
   * @return the digest of its manifest (or index)
   * @throws java.io.UncheckedIOException if storage fails
   * @throws io.wharf.core.error.RegistryException if the name is not valid in a registry
   */
  public Digest push(String name, TestImage image) {
    try {
      return new Seeder(state.repositories().get(hostedName)).push(ImageName.of(name), null, image);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Pushes every image of an OCI image layout directory (what {@code skopeo copy ... oci:DIR:TAG},
   * {@code buildah push} or Jib's {@code OCI} output write) to {@code name}, tagged as its
   * {@code index.json} says. Returns tag -> digest (untagged entries: digest -> digest).
   *
   * @param layout the layout's directory (with {@code oci-layout} and {@code index.json})
   * @param name the image name to push to
   * @return tag to digest, and digest to digest for untagged entries
   * @throws java.io.UncheckedIOException if the layout cannot be read or storage fails
   */
  public Map<String, Digest> pushOciLayout(Path layout, String name) {
    try {
      return new Seeder(state.repositories().get(hostedName)).pushOciLayout(layout, ImageName.of(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Pushes the images of a {@code docker save} tarball (optionally gzipped) under the names and
   * tags in it ({@code alpine:3.20} stays {@code alpine}; a registry host in front is dropped).
   * Layers go in uncompressed, as the archive holds them, under an OCI manifest. Returns
   * {@code name:tag} -> digest.
   *
   * @param archive the tarball
   * @return {@code name:tag} to the digest of its manifest
   * @throws java.io.UncheckedIOException if the archive cannot be read or storage fails
   */
  public Map<String, Digest> pushDockerArchive(Path archive) {
    return pushDockerArchive(archive, null);
  }

  /**
   * As {@link #pushDockerArchive(Path)}, but under {@code name} (the archive's tags, else {@code
   * latest}).
   *
   * @param archive the tarball
   * @param name the image name to push to, or {@code null} for the names in the archive
   * @return {@code name:tag} to the digest of its manifest
   * @throws java.io.UncheckedIOException if the archive cannot be read or storage fails
   */
  public Map<String, Digest> pushDockerArchive(Path archive, String name) {
    try {
      return new Seeder(state.repositories().get(hostedName))
          .pushDockerArchive(archive, name == null ? null : ImageName.of(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- inspection of the hosted repository (not in the journal)

  /**
   * The tags of {@code name}, sorted; empty if the image does not exist.
   *
   * @param name the image name
   * @return its tags
   */
  public List<String> tags(String name) {
    return hosted().tags(name);
  }

  /**
   * A manifest by {@code name:tag}, {@code name@digest} or {@code name} ({@code latest}).
   *
   * @param ref the reference, without host
   * @return the manifest as stored, or empty if there is none
   */
  public Optional<StoredManifest> manifest(String ref) {
    return hosted().manifest(ref);
  }

  /**
   * {@return every digest in the blob store: layers, configs and manifests (which distribution's
   * layout stores as blobs too)}
   */
  public SortedSet<Digest> blobs() {
    return hosted().blobs();
  }

  /** {@return the image names, sorted} */
  public List<String> catalog() {
    return hosted().catalog();
  }

  // ---- observing and controlling

  /** {@return every request served, on every port of this registry} */
  public RequestJournal journal() {
    return journal;
  }

  /** {@return the faults this registry injects (none until told)} */
  public Faults faults() {
    return faults;
  }

  /** {@return the clock of the proxy repository (cached tag ages, negative cache, auto-block)} */
  public TestClock clock() {
    return clock;
  }

  /**
   * Empties the registry as if it had just started, on the same ports: new storage, empty
   * journal, no faults, the kit's own clock back at the current time; the fake upstream too.
   */
  public void reset() {
    State old;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("closed");
      }
      old = state;
      try {
        state = build();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    release(old);
    journal.clear();
    faults.clear();
    if (ownClock) {
      clock.set(Instant.now());
    }
    if (upstream != null) {
      upstream.reset();
    }
  }

  /** Stops the server (and the fake upstream) and deletes everything it stored. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      jetty.stop();
    } catch (Exception e) {
      // stopping is best effort: the threads are daemons and the port is freed with them
    } finally {
      synchronized (this) {
        placeholders.values().forEach(TestRegistry::closeQuietly);
        placeholders.clear();
      }
      release(state);
      Seeder.deleteTree(tempRoot);
      if (upstream != null) {
        upstream.close();
      }
    }
  }

  @Override
  public String toString() {
    return "TestRegistry[" + url() + ", repositories " + views.keySet() + "]";
  }

  // ---- internals

  State state() {
    return state;
  }

  URI url(String repository) {
    return urls.get(repository);
  }

  private static URI url(ServerConnector c, boolean https) {
    String host = c.getHost() == null || c.getHost().equals("0.0.0.0") ? "127.0.0.1" : c.getHost();
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return URI.create((https ? "https://" : "http://") + host + ":" + c.getLocalPort());
  }

  private State build() throws IOException {
    int gen = ++generation;
    Map<String, Repository> repositories = new LinkedHashMap<>();
    Map<String, Repository> inspectors = new LinkedHashMap<>();
    Map<String, StorageDriver> drivers = new LinkedHashMap<>();
    List<Closeable> closeables = new ArrayList<>();
    List<Path> directories = new ArrayList<>();
    Map<String, Path> storageDirectories = new LinkedHashMap<>();

    StorageDriver hostedDriver = driver(hostedName, gen, directories, storageDirectories);
    HostedRepository hosted = HostedRepository.builder(hostedName, hostedDriver).writePolicy(options.writePolicy()).build();
    repositories.put(hostedName, hosted);
    inspectors.put(hostedName, hosted);
    drivers.put(hostedName, hostedDriver);

    if (options.hasProxy()) {
      URI remote = upstream != null ? upstream.url() : options.upstreamUrl();
      StorageDriver proxyDriver = driver(PROXY, gen, directories, storageDirectories);
      Path spool = tempRoot.resolve("spool-" + gen);
      directories.add(spool);
      ProxyRepository.Builder b = ProxyRepository.builder(PROXY, proxyDriver, remote)
          .indexMode(options.indexMode())
          .clock(clock)
          .spoolDirectory(spool);
      if (options.upstreamUsername() != null) {
        b.credentials(options.upstreamUsername(), options.upstreamPassword());
      }
      options.customizeProxy(b);
      ProxyRepository proxy = b.build();
      closeables.add(proxy);
      repositories.put(PROXY, proxy);
      drivers.put(PROXY, proxyDriver);
      // The cache has a hosted repository's layout: inspect it without asking the upstream.
      inspectors.put(PROXY, HostedRepository.builder(PROXY, proxyDriver)
          .writePolicy(WritePolicy.DENY).metadataCacheTtl(Duration.ZERO).build());
      if (options.group()) {
        GroupRepository group = new GroupRepository(GROUP, List.of(hosted, proxy), hosted);
        repositories.put(GROUP, group);
        inspectors.put(GROUP, group);
      }
    }
    Map<String, HttpServlet> servlets = new LinkedHashMap<>();
    repositories.forEach((name, repo) -> servlets.put(name, access == null
        ? new RegistryServlet(Registry.of(repo)) : new RegistryServlet(Registry.of(repo), access)));
    return new State(Collections.unmodifiableMap(repositories), Collections.unmodifiableMap(inspectors),
        Collections.unmodifiableMap(drivers), Collections.unmodifiableMap(storageDirectories),
        Collections.unmodifiableMap(servlets), closeables, directories);
  }

  private StorageDriver driver(String name, int gen, List<Path> directories, Map<String, Path> storageDirectories)
      throws IOException {
    if (options.storage() == TestRegistryOptions.Storage.MEMORY) {
      return new InMemoryDriver();
    }
    Path dir = Files.createDirectories(tempRoot.resolve(name + "-" + gen));
    directories.add(dir);
    storageDirectories.put(name, dir);
    return new FilesystemDriver(dir);
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // a socket that will not close is freed with the process
    }
  }

  private static void release(State s) {
    if (s == null) {
      return;
    }
    for (Closeable c : s.closeables()) {
      try {
        c.close();
      } catch (IOException | RuntimeException e) {
        // best effort
      }
    }
    for (Path dir : s.directories()) {
      try {
        Seeder.deleteTree(dir);
      } catch (UncheckedIOException e) {
        // best effort: the temp root goes on close()
      }
    }
  }

  /** Hands each request to the current state's {@link RegistryServlet} of one repository. */
  private static final class CurrentServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private final transient TestRegistry owner;
    private final String repository;

    CurrentServlet(TestRegistry owner, String repository) {
      this.owner = owner;
      this.repository = repository;
    }

    @Override
    public void service(ServletRequest req, ServletResponse res) throws ServletException, IOException {
      owner.state.servlets().get(repository).service(req, res);
    }
  }
}
