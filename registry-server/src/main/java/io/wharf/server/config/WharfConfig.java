package io.wharf.server.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The server's configuration file, as read from YAML. Every key is documented in the README's
 * configuration reference; an unknown key is an error that names it. {@link ConfigLoader} reads
 * and validates it; absent values mean "the default" and are filled in by {@link #withDefaults()}.
 *
 * <pre>
 * server: {bind: 127.0.0.1, port: 5000, publicUrl: https://registry.example.com, accessLog: true}
 * blobStores:
 *   default: {type: file, path: ./wharf-data}
 * repositories:
 *   - {name: docker-hosted, type: hosted, blobStore: default, writePolicy: allow}
 * </pre>
 */
public record WharfConfig(Server server, Map<String, BlobStore> blobStores, List<Repository> repositories) {
  public static final String DEFAULT_BIND = "127.0.0.1";
  public static final int DEFAULT_PORT = 5000;
  public static final String DEFAULT_STORE = "default";
  public static final String DEFAULT_DATA = "./wharf-data";
  public static final String DEFAULT_REPOSITORY = "hosted";

  /** {@code server:} the main listener. */
  public record Server(String bind, Integer port, String publicUrl, Boolean accessLog, String shutdownTimeout) {}

  /** {@code blobStores.<name>:} where bytes live. {@code type}: {@code file} (default) or {@code memory}. */
  public record BlobStore(String type, String path) {}

  /**
   * {@code repositories[]:} one repository. {@code type}: {@code hosted}. {@code writePolicy}:
   * {@code allow} (default), {@code allow_once}, {@code deny}.
   */
  public record Repository(
      String name,
      String type,
      String blobStore,
      String writePolicy,
      Boolean allowLatestRedeploy,
      String metadataCacheTtl) {}

  /** The configuration used when no file is given: one hosted repository in ./wharf-data on 127.0.0.1:5000. */
  public static WharfConfig defaults() {
    return new WharfConfig(null, null, null).withDefaults();
  }

  /** A copy with every absent value set to its default. */
  public WharfConfig withDefaults() {
    Server s = server == null ? new Server(null, null, null, null, null) : server;
    s = new Server(
        s.bind() == null ? DEFAULT_BIND : s.bind(),
        s.port() == null ? DEFAULT_PORT : s.port(),
        s.publicUrl(),
        s.accessLog() == null ? Boolean.TRUE : s.accessLog(),
        s.shutdownTimeout() == null ? "15s" : s.shutdownTimeout());
    Map<String, BlobStore> stores = new LinkedHashMap<>();
    if (blobStores == null || blobStores.isEmpty()) {
      stores.put(DEFAULT_STORE, new BlobStore("file", DEFAULT_DATA));
    } else {
      blobStores.forEach((k, v) -> stores.put(k, v == null ? new BlobStore("file", DEFAULT_DATA)
          : new BlobStore(v.type() == null ? "file" : v.type(), v.path())));
    }
    String firstStore = stores.keySet().iterator().next();
    List<Repository> repos = repositories == null || repositories.isEmpty()
        ? List.of(new Repository(DEFAULT_REPOSITORY, "hosted", firstStore, "allow", false, "5s"))
        : repositories.stream().map(r -> r == null ? null : new Repository(
            r.name(),
            r.type() == null ? "hosted" : r.type(),
            r.blobStore() == null ? (stores.containsKey(DEFAULT_STORE) ? DEFAULT_STORE : firstStore) : r.blobStore(),
            r.writePolicy() == null ? "allow" : r.writePolicy(),
            r.allowLatestRedeploy() != null && r.allowLatestRedeploy(),
            r.metadataCacheTtl() == null ? "5s" : r.metadataCacheTtl())).toList();
    return new WharfConfig(s, stores, repos);
  }

  /** A copy with the command line's overrides applied ({@code null} leaves a value alone). */
  public WharfConfig override(String bind, Integer port, String dataDir) {
    WharfConfig c = withDefaults();
    Server s = new Server(bind != null ? bind : c.server().bind(), port != null ? port : c.server().port(),
        c.server().publicUrl(), c.server().accessLog(), c.server().shutdownTimeout());
    Map<String, BlobStore> stores = new LinkedHashMap<>(c.blobStores());
    if (dataDir != null) {
      String target = stores.containsKey(DEFAULT_STORE) ? DEFAULT_STORE : stores.keySet().iterator().next();
      stores.put(target, new BlobStore("file", dataDir));
    }
    return new WharfConfig(s, stores, c.repositories());
  }
}
