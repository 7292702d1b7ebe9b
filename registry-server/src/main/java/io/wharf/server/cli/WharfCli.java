package io.wharf.server.cli;

import io.wharf.server.WharfServer;
import io.wharf.server.WharfVersion;
import io.wharf.server.config.ConfigException;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.WharfConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar wharf.jar <command>}: the standalone server's command line. */
@Command(name = "wharf", mixinStandardHelpOptions = true, versionProvider = WharfCli.Version.class,
    description = "A container registry for the JVM (OCI Distribution API).",
    subcommands = {WharfCli.Serve.class, HashPassword.class, Gc.class, Health.class})
public final class WharfCli implements Runnable {

  /**
   * Runs the command {@code args} name and exits with its status (0: success; 2: a usage error).
   *
   * @param args the command line, e.g. {@code serve --config wharf.yaml}
   */
  public static void main(String[] args) {
    // The runnable jar ships logback with its own configuration; an explicit -D wins.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "wharf-logback.xml");
    }
    System.exit(new CommandLine(new WharfCli()).execute(args));
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  // Each option's default comes from an environment variable (WHARF_CONFIG, WHARF_BIND, WHARF_PORT,
  // WHARF_DATA), so a container image or a systemd EnvironmentFile configures the server without
  // a command line; a flag given wins over its variable.
  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = "Run the registry. Without --config: one hosted repository on 127.0.0.1:5000, data in ./wharf-data.")
  static final class Serve implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", defaultValue = "${env:WHARF_CONFIG}",
        description = "YAML configuration file (default: $WHARF_CONFIG).")
    Path config;

    @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = "${env:WHARF_BIND}",
        description = "Address to listen on (default: $WHARF_BIND, else the config's, else 127.0.0.1).")
    String bind;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "${env:WHARF_PORT}",
        description = "Main port (default: $WHARF_PORT, else the config's, else 5000; 0 picks a free one).")
    Integer port;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "${env:WHARF_DATA}",
        description = "Data directory of the default blob store (default: $WHARF_DATA); a CNCF distribution"
            + " rootdirectory works as is.")
    Path data;

    @Option(names = "--ephemeral",
        description = "Keep every blob store in memory: nothing is written to disk and everything is gone when the"
            + " server stops (for CI pipelines; with --port 0 the URL it got is printed).")
    boolean ephemeral;

    @Override
    public Integer call() throws Exception {
      WharfConfig config;
      try {
        config = (this.config == null ? WharfConfig.defaults() : ConfigLoader.load(this.config))
            .override(bind, port, data == null ? null : data.toString());
        if (ephemeral) {
          if (data != null) {
            throw new ConfigException("--ephemeral keeps everything in memory; it cannot be combined with --data");
          }
          config = inMemory(config);
        }
        ConfigLoader.validate(config, this.config == null ? "command line" : this.config.toString());
      } catch (ConfigException e) {
        System.err.println("wharf: configuration error: " + e.getMessage());
        return 2;
      }
      WharfServer server = WharfServer.start(config);
      System.out.println("Wharf listening on " + server.url());
      System.out.flush();
      server.join();
      return 0;
    }

    /** The same configuration with every blob store replaced by {@code {type: memory}}. */
    private static WharfConfig inMemory(WharfConfig c) {
      java.util.Map<String, WharfConfig.BlobStore> stores = new java.util.LinkedHashMap<>();
      c.blobStores().keySet().forEach(name -> stores.put(name, WharfConfig.BlobStore.memory()));
      return new WharfConfig(c.server(), stores, c.http(), c.repositories(), c.security(), c.management(), c.events(),
          c.credentials());
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"wharf " + WharfVersion.current()};
    }
  }
}
