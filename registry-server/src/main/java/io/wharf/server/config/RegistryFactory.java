package io.wharf.server.config;

import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Repository;
import io.wharf.core.storage.StorageDriver;
import io.wharf.proxy.OutboundProxy;
import io.wharf.proxy.ProxyRepository;
import io.wharf.storage.fs.FilesystemDriver;
import io.wharf.storage.memory.InMemoryDriver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the {@link Registry} a validated {@link WharfConfig} describes. */
public final class RegistryFactory {
  private RegistryFactory() {}

  public static Registry build(WharfConfig config) {
    Map<String, StorageDriver> drivers = new LinkedHashMap<>();
    config.blobStores().forEach((name, store) -> drivers.put(name, driver(store)));
    Map<String, WharfConfig.Repository> declared = new LinkedHashMap<>();
    config.repositories().forEach(r -> declared.put(r.name(), r));
    Map<String, Repository> built = new LinkedHashMap<>();
    for (WharfConfig.Repository r : config.repositories()) {
      build(r, declared, built, drivers, config);
    }
    Registry.Builder registry = Registry.builder();
    config.repositories().forEach(r -> registry.add(built.get(r.name())));
    if (config.server().defaultRepository() != null) {
      registry.defaultRepository(config.server().defaultRepository());
    }
    return registry.build();
  }

  /** Builds {@code r}, members first (the config was checked for cycles). */
  private static Repository build(WharfConfig.Repository r, Map<String, WharfConfig.Repository> declared,
      Map<String, Repository> built, Map<String, StorageDriver> drivers, WharfConfig config) {
    Repository existing = built.get(r.name());
    if (existing != null) {
      return existing;
    }
    Repository repo;
    if (r.isGroup()) {
      List<Repository> members = new ArrayList<>();
      for (String m : r.members()) {
        members.add(build(declared.get(m), declared, built, drivers, config));
      }
      repo = new GroupRepository(r.name(), members, r.writableMember() == null ? null : built.get(r.writableMember()));
    } else if (r.isProxy()) {
      repo = proxy(r, drivers.get(r.blobStore()), config.http(), namespace(r, config));
    } else {
      repo = hosted(r, drivers.get(r.blobStore()), namespace(r, config), metadataCacheTtl(r, config));
    }
    built.put(r.name(), repo);
    return repo;
  }

  /**
   * How long a hosted repository may serve manifests and tags from memory: as configured, else
   * 5 s on a file or memory store (one node: its own writes invalidate at once) and 0 on S3,
   * where several nodes share the bucket and a tag moved on one must show on the others at once.
   */
  static Duration metadataCacheTtl(WharfConfig.Repository r, WharfConfig config) {
    if (r.metadataCacheTtl() != null) {
      return Durations.parse(r.metadataCacheTtl(), "repositories (" + r.name() + ").metadataCacheTtl");
    }
    return "s3".equals(config.blobStores().get(r.blobStore()).type()) ? Duration.ZERO : Duration.ofSeconds(5);
  }

  /**
   * Where a repository keeps its images in its blob store: an explicit {@code namespace} (empty
   * means none); else none when it is the only repository on the store (a plain distribution
   * {@code rootdirectory}), else its own name, so repositories sharing a store share blob bytes
   * but not images.
   */
  static String namespace(WharfConfig.Repository r, WharfConfig config) {
    if (r.namespace() != null) {
      return r.namespace().isEmpty() ? null : r.namespace();
    }
    long sharing = config.repositories().stream()
        .filter(o -> !o.isGroup() && r.blobStore().equals(o.blobStore()))
        .count();
    return sharing > 1 ? r.name() : null;
  }

  private static Repository hosted(WharfConfig.Repository r, StorageDriver driver, String namespace, Duration cacheTtl) {
    String key = "repositories (" + r.name() + ")";
    return HostedRepository.builder(r.name(), driver)
        .namespace(namespace)
        .writePolicy(ConfigLoader.writePolicy(r.writePolicy(), key + ".writePolicy"))
        .allowLatestRedeploy(Boolean.TRUE.equals(r.allowLatestRedeploy()))
        .metadataCacheTtl(cacheTtl)
        .build();
  }

  private static Repository proxy(WharfConfig.Repository r, StorageDriver driver, WharfConfig.Outbound serverWide,
      String namespace) {
    String key = "repositories (" + r.name() + ")";
    WharfConfig.Outbound out = r.outbound() == null ? serverWide : r.outbound().over(serverWide);
    ProxyRepository.Builder b = ProxyRepository.builder(r.name(), driver, ConfigLoader.remoteUrl(r.remoteUrl(), key + ".remoteUrl"))
        .namespace(namespace)
        .indexMode(ConfigLoader.indexMode(r.index(), key + ".index"))
        .metadataMaxAge(Durations.parse(r.metadataMaxAge(), key + ".metadataMaxAge"))
        .negativeCacheTtl(Durations.parse(r.negativeCacheTtl(), key + ".negativeCacheTtl"))
        .connectTimeout(Durations.parse(out.connectTimeout(), key + ".outbound.connectTimeout"))
        .readTimeout(Durations.parse(out.timeout(), key + ".outbound.timeout"))
        .retries(out.retries())
        .userAgent(out.userAgent())
        .outboundProxy(new OutboundProxy(endpoint(out.proxy()), endpoint(out.httpsProxy()), out.nonProxyHosts()));
    if (r.username() != null) {
      b.credentials(r.username(), r.password());
    }
    return b.build();
  }

  private static OutboundProxy.Endpoint endpoint(WharfConfig.ProxyServer p) {
    return p == null ? null : new OutboundProxy.Endpoint(p.host(), p.port(), p.username(), p.password());
  }

  /** The driver of one configured blob store (also used by {@code wharf gc}). */
  public static StorageDriver driver(WharfConfig.BlobStore store) {
    return switch (store.type()) {
      case "memory" -> new InMemoryDriver();
      case "s3" -> S3Stores.driver(store);
      default -> new FilesystemDriver(Path.of(store.path()).toAbsolutePath().normalize());
    };
  }
}
