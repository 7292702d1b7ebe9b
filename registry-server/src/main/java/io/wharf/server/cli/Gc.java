package io.wharf.server.cli;

import io.wharf.core.gc.GarbageCollector;
import io.wharf.core.gc.GcLease;
import io.wharf.core.gc.GcReport;
import io.wharf.core.storage.StorageDriver;
import io.wharf.server.config.ConfigException;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.Durations;
import io.wharf.server.config.RegistryFactory;
import io.wharf.server.config.WharfConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar wharf.jar gc}: one online garbage collection of every blob store of the
 * configuration ({@code file} and {@code s3}; {@code memory} stores have nothing to collect
 * outside a running server). Safe while servers use the stores; one run at a time per store.
 *
 * <pre>
 * $ java -jar wharf.jar gc --config wharf.yaml --dry-run
 * $ java -jar wharf.jar gc --data ./wharf-data --delete-untagged --grace 2h --purge-uploads 24h
 * </pre>
 */
@Command(name = "gc", mixinStandardHelpOptions = true,
    description = {"Delete blobs no kept manifest references (online: servers may keep running).",
        "Runs over every file and s3 blob store of the configuration and prints a report per store."})
public final class Gc implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (its blobStores).")
  Path config;

  @Option(names = "--data", paramLabel = "DIR", description = "Data directory of the default blob store.")
  Path data;

  @Option(names = "--dry-run", description = "Report what would be deleted and how many bytes; delete nothing.")
  boolean dryRun;

  @Option(names = "--delete-untagged", description = "Also unlink manifests no tag reaches (older than the grace period).")
  boolean deleteUntagged;

  @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "1h",
      description = "Unreferenced blobs younger than this are kept (pushes in progress); default ${DEFAULT-VALUE}.")
  String grace;

  @Option(names = "--purge-uploads", paramLabel = "DURATION",
      description = "Also purge incomplete uploads idle for this long (e.g. 24h); default: keep them.")
  String purgeUploads;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    WharfConfig c;
    Duration graceAge;
    Duration purgeAge;
    try {
      c = (config == null ? WharfConfig.defaults() : ConfigLoader.load(config))
          .override(null, null, data == null ? null : data.toString());
      ConfigLoader.validate(c, config == null ? "command line" : config.toString());
      graceAge = Durations.parse(grace, "--grace");
      purgeAge = purgeUploads == null ? null : Durations.parse(purgeUploads, "--purge-uploads");
    } catch (ConfigException e) {
      err.println("wharf: configuration error: " + e.getMessage());
      return 2;
    }
    int status = 0;
    for (Map.Entry<String, WharfConfig.BlobStore> store : c.blobStores().entrySet()) {
      String name = store.getKey();
      String type = store.getValue().type();
      if ("memory".equals(type)) {
        out.println("blob store " + name + " (memory): skipped, it lives only inside a running server");
        continue;
      }
      try {
        StorageDriver driver = RegistryFactory.driver(store.getValue());
        GcReport report = GarbageCollector.builder(driver)
            .grace(graceAge)
            .deleteUntagged(deleteUntagged)
            .dryRun(dryRun)
            .purgeUploadsAfter(purgeAge)
            .build()
            .run();
        out.println("blob store " + name + " (" + type + "): " + report);
        if (dryRun) {
          report.deletedSample().forEach(d -> out.println("  would delete " + d));
          if (report.blobsDeleted() > report.deletedSample().size()) {
            out.println("  ... and " + (report.blobsDeleted() - report.deletedSample().size()) + " more");
          }
        }
      } catch (GcLease.HeldException e) {
        err.println("wharf: blob store " + name + ": " + e.getMessage() + "; try again later");
        status = 1;
      } catch (Exception e) {
        err.println("wharf: blob store " + name + ": garbage collection failed: " + e);
        status = 1;
      }
    }
    out.flush();
    return status;
  }
}
