package io.wharf.server;

import io.wharf.core.lifecycle.MaintenanceScheduler;
import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Repository;
import io.wharf.core.storage.StorageLayout;
import io.wharf.server.admin.RepositoryDeployment;
import io.wharf.server.auth.RegistrySecurity;
import io.wharf.server.config.RegistryFactory;
import io.wharf.server.config.SecurityFactory;
import io.wharf.server.config.WharfConfig;
import io.wharf.server.routing.RepositoryRouter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running server's repositories, and the one place where they change while it runs: what
 * the management API's {@link RepositoryDeployment} stands for.
 *
 * <p>A change is a whole new configuration. Only what differs is rebuilt: repositories that are
 * new or whose settings changed, and the groups that hold them (a group holds its members'
 * objects); every other repository keeps its object, so requests in flight on it never notice.
 * Everything that can fail (building, opening ports, recording the change) happens before the
 * switch; the switch replaces routing, access rules and the registry at once; ports that are no
 * longer needed close after it.
 */
final class LiveRepositories implements RepositoryDeployment {
  private static final Logger LOG = LoggerFactory.getLogger(LiveRepositories.class);

  /** What the services read: replaced whole by each change. */
  private record State(WharfConfig config, Registry registry) {}

  private final WharfServer.Listeners listeners;
  private final RegistryFactory.Assembly assembly;
  private final RepositoryRouter router;
  private final RegistrySecurity security;
  private final Set<String> pinned;
  /** The repositories' own listeners, by repository name (also read by the settings shown). */
  private final Map<String, WharfServer.Listener> own = new ConcurrentHashMap<>();
  private volatile State state;
  private volatile MaintenanceScheduler maintenance;

  /**
   * @param config the running configuration (file and API repositories, namespaces written out)
   * @param pinned the names the configuration file declares
   * @param assembly what built {@code registry}; null for an embedder's registry (no changes then)
   * @param security null: an open server
   */
  LiveRepositories(WharfServer.Listeners listeners, WharfConfig config, Set<String> pinned, Registry registry,
      RegistryFactory.Assembly assembly, RepositoryRouter router, RegistrySecurity security) {
    this.listeners = Objects.requireNonNull(listeners);
    this.state = new State(config, registry);
    this.pinned = Set.copyOf(pinned);
    this.assembly = assembly;
    this.router = Objects.requireNonNull(router);
    this.security = security;
  }

  /** Opens the listeners of the starting configuration (the server starts them with itself). */
  void openAtStart() {
    for (WharfConfig.Repository r : state.config().repositories()) {
      if (r.http() != null && r.http().port() != null && state.registry().repository(r.name()).isPresent()) {
        own.put(r.name(), listeners.add(r));
      }
    }
  }

  /** After the server started: routes each repository's port to it. */
  void bindStartedPorts() {
    own.forEach((name, l) -> router.bindPort(l.connector().getLocalPort(),
        state.registry().repository(name).orElseThrow()));
  }

  /** The maintenance jobs that follow repository changes (null: none). */
  void maintenance(MaintenanceScheduler maintenance) {
    this.maintenance = maintenance;
  }

  Map<String, WharfServer.Listener> listeners() {
    return own;
  }

  @Override
  public Registry registry() {
    return state.registry();
  }

  @Override
  public WharfConfig config() {
    return state.config();
  }

  @Override
  public Set<String> pinned() {
    return pinned;
  }

  @Override
  public Integer boundPort(String repository) {
    WharfServer.Listener l = own.get(repository);
    return l == null || l.connector().getLocalPort() <= 0 ? null : l.connector().getLocalPort();
  }

  @Override
  public boolean changeable() {
    return assembly != null;
  }

  @Override
  public synchronized void apply(WharfConfig next, Runnable persist) {
    if (assembly == null) {
      RepositoryDeployment.fixed(state.registry(), state.config(), this::boundPort).apply(next, persist); // refuses
      return;
    }
    State before = state;
    Map<String, WharfConfig.Repository> old = byName(before.config());
    Map<String, WharfConfig.Repository> now = byName(next);
    Set<String> removed = new LinkedHashSet<>(old.keySet());
    removed.removeAll(now.keySet());
    Set<String> rebuild = new LinkedHashSet<>();
    now.forEach((name, r) -> {
      if (!r.equals(old.get(name))) {
        rebuild.add(name);
      }
    });
    // A group holds its members' objects: rebuild every group that reaches a rebuilt or removed one.
    boolean grew = true;
    while (grew) {
      grew = false;
      for (WharfConfig.Repository g : now.values()) {
        if (g.isGroup() && !rebuild.contains(g.name())
            && g.members().stream().anyMatch(m -> rebuild.contains(m) || removed.contains(m))) {
          rebuild.add(g.name());
          grew = true;
        }
      }
    }
    Map<String, Repository> kept = new LinkedHashMap<>();
    before.registry().repositories().forEach(r -> {
      if (now.containsKey(r.name()) && !rebuild.contains(r.name())) {
        kept.put(r.name(), r);
      }
    });
    Map<String, Repository> built = assembly.build(next, rebuild, kept);
    Map<String, Repository> all = new LinkedHashMap<>();
    for (String name : now.keySet()) {
      all.put(name, kept.containsKey(name) ? kept.get(name) : built.get(name));
    }

    // Ports: open the new ones first; on any failure close them and change nothing.
    Map<String, WharfServer.Listener> opened = new LinkedHashMap<>();
    Set<String> closing = new LinkedHashSet<>(removed);
    try {
      for (WharfConfig.Repository r : now.values()) {
        WharfConfig.Repository was = old.get(r.name());
        WharfConfig.Listener listener = r.http();
        WharfConfig.Listener previous = was == null ? null : was.http();
        if (Objects.equals(listener, previous)) {
          continue;
        }
        if (previous != null) {
          closing.add(r.name());
        }
        if (listener != null && listener.port() != null) {
          if (previous != null && Objects.equals(previous.port(), listener.port())) {
            // same port, other limits: the old listener must let go of the port first (if the
            // new one then fails, the repository is left without a port until the next change)
            listeners.remove(own.remove(r.name()));
          }
          opened.put(r.name(), open(r));
        }
      }
      persist.run();
    } catch (RuntimeException e) {
      opened.values().forEach(listeners::remove);
      throw e;
    }

    // The switch: from here on requests see the new set.
    Registry.Builder registry = Registry.builder();
    all.values().forEach(registry::add);
    if (next.server().defaultRepository() != null) {
      registry.defaultRepository(next.server().defaultRepository());
    }
    Registry live = registry.build();
    List<WharfServer.Listener> toClose = new ArrayList<>();
    for (String name : closing) {
      WharfServer.Listener l = own.remove(name);
      if (l != null) {
        toClose.add(l);
      }
    }
    own.putAll(opened);
    Map<Integer, Repository> byPort = new HashMap<>();
    own.forEach((name, l) -> byPort.put(l.connector().getLocalPort(), all.get(name)));
    Map<String, Repository> byHost = new HashMap<>();
    next.repositories().forEach(r -> r.hosts().forEach(h -> byHost.put(h.toLowerCase(Locale.ROOT), all.get(r.name()))));
    if (security != null) {
      SecurityFactory.applyRepositories(security, next);
    }
    router.replace(live, live.defaultRepository(), byHost, byPort);
    state = new State(next, live);

    toClose.forEach(listeners::remove);
    for (String name : removed) {
      assembly.forget(name);
    }
    updateMaintenance(before.config(), next, all, removed, rebuild);
    removed.forEach(name -> purge(old.get(name), before.registry().repository(name).orElse(null)));
    LOG.info("repositories changed: {}{}{}", rebuild.isEmpty() ? "" : "built " + rebuild,
        rebuild.isEmpty() || removed.isEmpty() ? "" : ", ", removed.isEmpty() ? "" : "removed " + removed);
    opened.forEach((name, l) -> LOG.info("repository {} listening on port {}", name, l.connector().getLocalPort()));
  }

  private WharfServer.Listener open(WharfConfig.Repository r) {
    try {
      return listeners.start(r);
    } catch (IOException e) {
      throw new PortUnavailableException(r.name(), r.http().port(), e);
    }
  }

  /** The maintenance jobs of the stores whose hosted or proxy repositories changed. */
  private void updateMaintenance(WharfConfig before, WharfConfig next, Map<String, Repository> all,
      Set<String> removed, Set<String> rebuilt) {
    MaintenanceScheduler m = maintenance;
    if (m == null) {
      return;
    }
    Set<String> stores = new LinkedHashSet<>();
    for (WharfConfig.Repository r : before.repositories()) {
      if (!r.isGroup() && (removed.contains(r.name()) || rebuilt.contains(r.name()))) {
        stores.add(r.blobStore());
      }
    }
    for (WharfConfig.Repository r : next.repositories()) {
      if (!r.isGroup() && rebuilt.contains(r.name())) {
        stores.add(r.blobStore());
      }
    }
    for (String store : stores) {
      try {
        m.replace(assembly.maintenance(store, next, all));
      } catch (RuntimeException e) {
        LOG.warn("the maintenance job of blob store {} still runs with the previous repositories: {}", store,
            e.toString());
      }
    }
  }

  /**
   * Deletes a removed repository's images from its blob store (as Nexus deletes a repository's
   * content); garbage collection then frees the blobs nothing else links. Only a repository in
   * a namespace of its own: one at a store's root has nothing that is only its own.
   */
  private void purge(WharfConfig.Repository r, Repository object) {
    if (r == null || r.isGroup() || r.namespace() == null || r.namespace().isEmpty()
        || state.config().repositories().stream().anyMatch(o -> !o.isGroup() && r.blobStore().equals(o.blobStore())
            && r.namespace().equals(o.namespace()))) {
      return;
    }
    String dir = new StorageLayout(r.namespace()).repositoriesRoot();
    try {
      assembly.drivers().get(r.blobStore()).delete(dir);
      LOG.info("deleted the images of repository {} ({} of blob store {})", r.name(), dir, r.blobStore());
    } catch (IOException | RuntimeException e) {
      LOG.warn("repository {} is deleted, but its images ({} of blob store {}) could not be: {}", r.name(), dir,
          r.blobStore(), e.toString());
    }
  }

  private static Map<String, WharfConfig.Repository> byName(WharfConfig config) {
    Map<String, WharfConfig.Repository> out = new LinkedHashMap<>();
    config.repositories().forEach(r -> out.put(r.name(), r));
    return out;
  }
}
