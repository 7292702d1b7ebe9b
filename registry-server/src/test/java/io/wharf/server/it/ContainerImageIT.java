package io.wharf.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.wharf.server.it.OciLayouts.Compression;
import io.wharf.server.it.OciLayouts.Image;
import io.wharf.server.it.OciLayouts.Platform;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wharf's container image as an operator runs it: the OCI archive the build made with Jib
 * ({@code target/wharf-image.tar}; in the interop profile on a base jlinked from the build's JDK)
 * is loaded into a private docker daemon and run with {@code --network host}, its configuration
 * file mounted over {@code /etc/wharf/wharf.yaml} and a host directory as the
 * {@code /var/lib/wharf} volume. skopeo pushes an image into it; the container is stopped with
 * {@code docker stop} (it must end by itself, exit status 143 of a JVM that ran its shutdown on
 * SIGTERM, not 137 of a kill) and started again, and the image comes back whole from the volume.
 * The container writes as uid 65532, not root. Then Wharf serves its own image: the archive is
 * pushed into the running container and docker pulls it back as the image it runs.
 */
@Tag("interop")
class ContainerImageIT {
  static final Path IMAGE_TAR = Path.of(System.getProperty("wharf.image.tar", "target/wharf-image.tar")).toAbsolutePath();
  static final String CONTAINER = "wharf-image-it";
  static final String TAG = "wharf-it:under-test";
  static final int NON_ROOT_UID = 65532;

  @TempDir static Path tmp;
  static DockerDaemon docker;
  static Skopeo skopeo;
  static int port;
  static Path data;
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws IOException {
    assumeTrue("root".equals(System.getProperty("user.name")), "dockerd needs root");
    assertThat(DockerDaemon.isInstalled()).as("dockerd is missing: .ci/run installs docker.io with apt-get").isTrue();
    assertThat(Skopeo.isInstalled()).as("skopeo is missing: .ci/run installs it with apt-get").isTrue();
    assertThat(IMAGE_TAR).as("the image archive: built by mvn -Pinterop (or -Pimage) package").isRegularFile();
    skopeo = new Skopeo(tmp.resolve("skopeo"));
    docker = DockerDaemon.start(tmp.resolve("docker"), List.of(), List.of());
    // the archive is OCI; skopeo hands it to the daemon (docker 20.10 loads only docker archives)
    skopeo.copy("oci-archive:" + IMAGE_TAR, "docker-daemon:" + TAG,
        "--dest-daemon-host", "unix://" + tmp.resolve("docker/docker.sock"));

    port = ServerProcess.freePort();
    Files.writeString(tmp.resolve("wharf.yaml"), """
        server: {bind: 127.0.0.1, port: PORT, shutdownTimeout: 20s}
        blobStores:
          default: {type: file, path: /var/lib/wharf}
        repositories:
          - {name: hosted, type: hosted}
        """.replace("PORT", Integer.toString(port)));
    data = Files.createDirectories(tmp.resolve("data"));
    // a host directory as the volume: the operator gives it to the image's user
    Files.setAttribute(data, "unix:uid", NON_ROOT_UID);
    docker.run("run", "-d", "--name", CONTAINER, "--network", "host",
        "-v", tmp.resolve("wharf.yaml") + ":/etc/wharf/wharf.yaml:ro",
        "-v", data + ":/var/lib/wharf",
        TAG);
    awaitReady();
  }

  @AfterAll
  static void stop() {
    if (docker != null) {
      try {
        docker.run("rm", "-f", CONTAINER);
      } catch (RuntimeException e) {
        // not created
      }
      docker.close();
      // a daemon that ran a container leaves its network namespace mounted under its exec root,
      // which keeps @TempDir from deleting the directory
      Path netns = tmp.resolve("docker/exec/netns/default");
      try {
        if (Files.readString(Path.of("/proc/mounts")).contains(" " + netns + " ")) {
          Command.run(List.of("umount", netns.toString()), java.util.Map.of(), tmp);
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  @Test
  void pushedImage_survivesAGracefulStopAndStart_andIsWrittenByTheNonRootUser() throws Exception {
    OciLayouts layout = OciLayouts.create(tmp.resolve("images"), 2001);
    Image image = layout.image(Platform.LINUX_AMD64, Compression.GZIP, 2, 64 * 1024);
    layout.tag("1.0", image.manifest());
    skopeo.copy(layout.ref("1.0"), "docker://127.0.0.1:" + port + "/team/app:1.0");

    Instant stopping = Instant.now();
    docker.run("stop", "--time", "120", CONTAINER);
    assertThat(docker.run("inspect", "--format", "{{.State.ExitCode}} {{.State.OOMKilled}}", CONTAINER))
        .as("exit status after SIGTERM (137: docker had to kill it); took %s, log: %s",
            Duration.between(stopping, Instant.now()), docker.run("logs", "--tail", "30", CONTAINER))
        .isEqualTo("143 false");
    docker.run("start", CONTAINER);
    awaitReady();

    skopeo.copy("docker://127.0.0.1:" + port + "/team/app:1.0", "oci:" + tmp.resolve("pulled") + ":1.0");
    assertThat(OciLayouts.resolve(tmp.resolve("pulled"), "1.0").digest()).isEqualTo(image.manifest().digest());
    for (OciLayouts.Descriptor layer : image.layers()) {
      assertThat(OciLayouts.blobPath(tmp.resolve("pulled"), layer.digest())).exists();
    }
    // everything in the volume is the container user's: it never ran as root
    try (Stream<Path> files = Files.walk(data.resolve("docker"))) {
      assertThat(files.map(ContainerImageIT::owner).distinct().toList()).containsExactly(NON_ROOT_UID);
    }
    assertThat(docker.run("inspect", "--format", "{{.Config.User}}", CONTAINER)).isEqualTo("65532:0");
  }

  @Test
  void wharfServesItsOwnImage_dockerPullsBackTheImageItRuns() {
    String ref = "127.0.0.1:" + port + "/wharf/wharf:it";
    skopeo.copy("oci-archive:" + IMAGE_TAR, "docker://" + ref);

    docker.run("pull", "-q", ref);

    assertThat(docker.run("image", "inspect", "--format", "{{.Id}}", ref))
        .isEqualTo(docker.run("image", "inspect", "--format", "{{.Id}}", TAG));
  }

  @Test
  void image_carriesTheOciLabels_theVolume_andTheConfigLocation() {
    String labels = docker.run("image", "inspect", "--format", "{{json .Config.Labels}}", TAG);
    assertThat(labels).contains("\"org.opencontainers.image.licenses\":\"Apache-2.0\"",
        "\"org.opencontainers.image.source\":\"http", "\"org.opencontainers.image.version\":\"",
        "\"org.opencontainers.image.revision\":\"");
    assertThat(docker.run("image", "inspect", "--format", "{{json .Config.Volumes}}", TAG)).contains("/var/lib/wharf");
    assertThat(docker.run("image", "inspect", "--format", "{{json .Config.Env}}", TAG))
        .contains("WHARF_CONFIG=/etc/wharf/wharf.yaml");
  }

  @Test
  void healthCommand_insideTheContainer_reportsReady() {
    // what README's compose healthcheck runs (exec form: the image needs no shell)
    String out = docker.run("exec", CONTAINER, "java", "-Xmx32m", "-XX:TieredStopAtLevel=1",
        "-cp", "@/app/jib-classpath-file", "io.wharf.server.cli.WharfCli", "health",
        "--url", "http://127.0.0.1:" + port + "/health/ready");
    assertThat(out).contains("/health/ready: 200");
  }

  private static int owner(Path p) {
    try {
      return (Integer) Files.getAttribute(p, "unix:uid");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Waits (generously: a loaded machine, a JVM starting in a container) until the server is ready. */
  private static void awaitReady() {
    Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
    URI ready = URI.create("http://127.0.0.1:" + port + "/health/ready");
    while (Instant.now().isBefore(deadline)) {
      try {
        if (HTTP.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      String state = docker.run("inspect", "--format", "{{.State.Status}}", CONTAINER);
      assertThat(state).as("container state; log: %s", docker.run("logs", "--tail", "50", CONTAINER))
          .isIn("created", "running", "restarting");
      ServerProcess.sleep(200);
    }
    throw new AssertionError("not ready within 3 minutes: " + docker.run("logs", "--tail", "50", CONTAINER));
  }
}
