package io.wharf.server.cli;

import io.wharf.core.gc.GcReport;
import io.wharf.core.lifecycle.MaintenanceReport;
import io.wharf.core.lifecycle.MaintenanceScheduler;
import io.wharf.server.config.ConfigException;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.Durations;
import io.wharf.server.config.LifecycleConfig;
import io.wharf.server.config.RegistryFactory;
import io.wharf.server.config.WharfConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar wharf.jar gc}: one run of the maintenance job of every blob store of the
 * configuration ({@code file} and {@code s3}; {@code memory} stores live only inside a server):
 * the stores' cleanup policies and proxy cache limits, then online garbage collection. Safe while
 * servers use the stores; one run at a time per store across all nodes and this command.
 * Options override the store's {@code maintenance:} settings.
 *
 * <pre>
 * $ java -jar wharf.jar gc --config wharf.yaml --dry-run
 * $ java -jar wharf.jar gc --data ./wharf-data --delete-untagged --grace 2h --purge-uploads 24h
 * </pre>
 */
@Command(name = "gc", mixinStandardHelpOptions = true,
    description = {"Apply cleanup policies and proxy cache limits, then delete blobs no kept manifest references",
        "(online: servers may keep running). Runs over every file and s3 blob store of the configuration",
        "and prints a report per store."})
public final class Gc implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (its blobStores and repositories).")
  Path config;

  @Option(names = "--data", paramLabel = "DIR", description = "Data directory of the default blob store.")
  Path data;

  @Option(names = "--store", paramLabel = "NAME", description = "Only this blob store.")
  String store;

  @Option(names = "--dry-run", description = "Report what would be deleted and how many bytes; change nothing.")
  boolean dryRun;

  @Option(names = "--gc-only", description = "Skip cleanup policies and cache limits; only collect garbage.")
  boolean gcOnly;

  @Option(names = "--delete-untagged", description = "Also unlink manifests no tag reaches (older than the grace period).")
  Boolean deleteUntagged;

  @Option(names = "--grace", paramLabel = "DURATION",
      description = "Blobs written or linked more recently than this are kept (pushes in progress; links: at least the"
          + " last 10s); default: the store's, else 1h.")
  String grace;

  @Option(names = "--purge-uploads", paramLabel = "DURATION",
      description = "Purge incomplete uploads idle this long, or 'off'; default: the store's, else 24h.")
  String purgeUploads;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    WharfConfig c;
    RegistryFactory.Assembly assembly;
    try {
      c = (config == null ? WharfConfig.defaults() : ConfigLoader.load(config))
          .override(null, null, data == null ? null : data.toString());
      if (grace != null) {
        Durations.parse(grace, "--grace");
      }
      LifecycleConfig.purgeUploads(purgeUploads, "--purge-uploads");
      if (store != null && !c.blobStores().containsKey(store)) {
        throw new ConfigException("--store: no blob store named \"" + store + "\"; stores: " + c.blobStores().keySet());
      }
      c = withOverrides(c);
      ConfigLoader.validate(c, config == null ? "command line" : config.toString());
      assembly = RegistryFactory.assemble(c);
    } catch (ConfigException e) {
      err.println("wharf: configuration error: " + e.getMessage());
      return 2;
    }
    int status = 0;
    for (MaintenanceScheduler.Entry entry : assembly.maintenance()) {
      String name = entry.job().store();
      String type = c.blobStores().get(name).type();
      if (store != null && !store.equals(name)) {
        continue;
      }
      if ("memory".equals(type)) {
        out.println("blob store " + name + " (memory): skipped, it lives only inside a running server");
        continue;
      }
      MaintenanceReport report = entry.job().run(dryRun);
      out.println("blob store " + name + " (" + type + "): " + (report.dryRun() ? "dry run: " : ""));
      report.steps().forEach(s -> out.println("  " + s.name() + ": " + s.summary()));
      if (report.gc() != null) {
        out.println("  garbage collection: " + report.gc());
        printSample(out, report.gc());
      }
      if (report.skipped() != null) {
        err.println("wharf: blob store " + name + ": " + report.skipped() + "; try again later");
        status = 1;
      } else if (report.error() != null) {
        err.println("wharf: blob store " + name + ": " + report.error());
        status = 1;
      }
    }
    out.flush();
    return status;
  }

  private void printSample(PrintWriter out, GcReport gc) {
    if (!gc.dryRun()) {
      return;
    }
    gc.deletedSample().forEach(d -> out.println("    would delete " + d));
    if (gc.blobsDeleted() > gc.deletedSample().size()) {
      out.println("    ... and " + (gc.blobsDeleted() - gc.deletedSample().size()) + " more");
    }
  }

  /** The configuration with the command line's maintenance overrides (and without policies for --gc-only). */
  private WharfConfig withOverrides(WharfConfig c) {
    Map<String, WharfConfig.BlobStore> stores = new LinkedHashMap<>();
    c.blobStores().forEach((name, bs) -> {
      WharfConfig.Maintenance m = bs.maintenance() != null ? bs.maintenance()
          : new WharfConfig.Maintenance(null, null, null, null, null, null);
      stores.put(name, bs.withMaintenance(new WharfConfig.Maintenance(null, Boolean.TRUE,
          grace != null ? grace : m.grace(),
          deleteUntagged != null ? deleteUntagged : m.deleteUntagged(),
          purgeUploads != null ? purgeUploads : m.purgeUploads(),
          null)));
    });
    List<WharfConfig.Repository> repos = gcOnly
        ? c.repositories().stream().map(r -> r.withLifecycle(null, r.quota(), null)).toList()
        : c.repositories();
    return new WharfConfig(c.server(), stores, c.http(), repos, c.security()).withDefaults();
  }
}
