package io.wharf.server.config;

import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Repository;
import io.wharf.core.storage.StorageDriver;
import io.wharf.proxy.OutboundProxy;
import io.wharf.proxy.ProxyRepository;
import io.wharf.storage.fs.FilesystemDriver;
import io.wharf.storage.memory.InMemoryDriver;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds the {@link Registry} a validated {@link WharfConfig} describes. */
public final class RegistryFactory {
  private RegistryFactory() {}

  public static Registry build(WharfConfig config) {
    Map<String, StorageDriver> drivers = new LinkedHashMap<>();
    config.blobStores().forEach((name, store) -> drivers.put(name, driver(store)));
    Registry.Builder registry = Registry.builder();
    for (WharfConfig.Repository r : config.repositories()) {
      StorageDriver driver = drivers.get(r.blobStore());
      registry.add(r.isProxy() ? proxy(r, driver, config.http()) : hosted(r, driver));
    }
    return registry.build();
  }

  private static Repository hosted(WharfConfig.Repository r, StorageDriver driver) {
    String key = "repositories (" + r.name() + ")";
    return HostedRepository.builder(r.name(), driver)
        .writePolicy(ConfigLoader.writePolicy(r.writePolicy(), key + ".writePolicy"))
        .allowLatestRedeploy(Boolean.TRUE.equals(r.allowLatestRedeploy()))
        .metadataCacheTtl(Durations.parse(r.metadataCacheTtl(), key + ".metadataCacheTtl"))
        .build();
  }

  private static Repository proxy(WharfConfig.Repository r, StorageDriver driver, WharfConfig.Outbound serverWide) {
    String key = "repositories (" + r.name() + ")";
    WharfConfig.Outbound out = r.outbound() == null ? serverWide : r.outbound().over(serverWide);
    ProxyRepository.Builder b = ProxyRepository.builder(r.name(), driver, ConfigLoader.remoteUrl(r.remoteUrl(), key + ".remoteUrl"))
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

  static StorageDriver driver(WharfConfig.BlobStore store) {
    return switch (store.type()) {
      case "memory" -> new InMemoryDriver();
      default -> new FilesystemDriver(Path.of(store.path()).toAbsolutePath().normalize());
    };
  }
}
