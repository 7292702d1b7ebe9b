package io.wharf.server.config;

import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.core.storage.StorageDriver;
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
      String key = "repositories (" + r.name() + ")";
      registry.add(HostedRepository.builder(r.name(), drivers.get(r.blobStore()))
          .writePolicy(ConfigLoader.writePolicy(r.writePolicy(), key + ".writePolicy"))
          .allowLatestRedeploy(Boolean.TRUE.equals(r.allowLatestRedeploy()))
          .metadataCacheTtl(Durations.parse(r.metadataCacheTtl(), key + ".metadataCacheTtl"))
          .build());
    }
    return registry.build();
  }

  static StorageDriver driver(WharfConfig.BlobStore store) {
    return switch (store.type()) {
      case "memory" -> new InMemoryDriver();
      default -> new FilesystemDriver(Path.of(store.path()).toAbsolutePath().normalize());
    };
  }
}
