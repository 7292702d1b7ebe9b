package io.wharf.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code wharf health}, the image's health check, through the real command line against a real server. */
class HealthCommandTest {
  static int run(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "health";
    System.arraycopy(args, 0, all, 1, args.length);
    return new CommandLine(new WharfCli()).execute(all);
  }

  static String yaml(String minFree) {
    return """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: memory, maxSize: 1MiB, minFree: MINFREE}
        repositories:
          - {name: hosted, type: hosted}
        """.replace("MINFREE", minFree);
  }

  @Test
  void readyServer_exitsZero() throws Exception {
    try (WharfServer server = WharfServer.start(ConfigLoader.parse(yaml("1KiB"), "health.yaml"))) {
      assertThat(run("--url", server.url() + "/health/ready")).isZero();
    }
  }

  @Test
  void serverNotReady_exitsOne() throws Exception {
    // a store below its free-space reserve: /health/ready answers 503
    try (WharfServer server = WharfServer.start(ConfigLoader.parse(yaml("2MiB"), "health.yaml"))) {
      assertThat(run("--url", server.url() + "/health/ready")).isEqualTo(1);
    }
  }

  @Test
  void nothingListening_exitsOne() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    assertThat(run("--url", "http://127.0.0.1:" + port + "/health/ready", "--timeout", "30")).isEqualTo(1);
  }
}
