package io.wharf.server.it;

import static io.wharf.server.it.OciLayouts.Compression.GZIP;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_AMD64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.wharf.server.auth.PasswordHashes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A robot account made through the management API of a secured {@code wharf.jar}, used by real
 * clients: skopeo and a docker daemon log in with {@code robot$ci} and its secret, push and pull
 * inside its scope ({@code ci/**} in docker-hosted), are refused outside it, and stop working
 * once it is disabled.
 */
@Tag("interop")
class RobotInteropIT {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  @TempDir static Path tmp;
  static WharfProcess wharf;
  static Skopeo skopeo;

  @BeforeAll
  static void start() throws Exception {
    assertThat(Skopeo.isInstalled()).as("skopeo is missing: .ci/run installs it with apt-get").isTrue();
    Path config = Files.writeString(tmp.resolve("wharf.yaml"), """
        security:
          realms: [docker-token, basic]
          anonymous: false
          users: [{name: admin, passwordHash: "HASH", roles: [admins]}]
          roles: [{name: admins, privileges: ["*:admin"]}]
        repositories: [{name: docker-hosted}]
        server: {defaultRepository: docker-hosted}
        """.replace("HASH", PasswordHashes.hash("admin-pw".toCharArray(), 4)));
    wharf = WharfProcess.serveConfig(config, tmp.resolve("data"), "128m");
    skopeo = new Skopeo(tmp.resolve("skopeo"));
  }

  @AfterAll
  static void stop() {
    if (wharf != null) {
      wharf.close();
    }
  }

  /** Makes robot {@code name} (pull and push on {@code ci/**}) as admin; returns its secret. */
  static String robot(String name) throws Exception {
    HttpResponse<String> r = admin("POST", "/wharf/api/v1/robots", "{\"name\":\"" + name + "\",\"scope\":"
        + "[{\"repositories\":[\"docker-hosted\"],\"images\":[\"ci/**\"],\"actions\":[\"pull\",\"push\"]}]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode made = OciLayouts.JSON.readTree(r.body());
    assertThat(made.path("name").asString()).isEqualTo("robot$" + name);
    return made.path("secret").asString();
  }

  static HttpResponse<String> admin(String method, String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(wharf.url() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json")
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("admin:admin-pw".getBytes(StandardCharsets.UTF_8)))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  static OciLayouts fresh(String name, long seed) {
    OciLayouts src = OciLayouts.create(tmp.resolve(name), seed);
    src.tag("1.0", src.image(LINUX_AMD64, GZIP, 1, 64 * 1024).manifest());
    return src;
  }

  @Test
  void skopeo_logsInWithARobot_pushesInsideItsScope_isDeniedOutside() throws Exception {
    String secret = robot("skopeo");
    Path auth = tmp.resolve("auth-robot.json");
    assertThat(new String(skopeo.run(List.of("login", "--tls-verify=false", "--authfile", auth.toString(),
        "-u", "robot$skopeo", "-p", secret, wharf.hostPort())))).contains("Login Succeeded");

    OciLayouts src = fresh("src-skopeo", 811);
    skopeo.copy(src.ref("1.0"), "docker://" + wharf.hostPort() + "/ci/app:1.0", "--dest-authfile", auth.toString());
    assertThat(skopeo.run(List.of("list-tags", "--tls-verify=false", "--authfile", auth.toString(),
        "docker://" + wharf.hostPort() + "/ci/app"))).asString().contains("1.0");

    assertThatThrownBy(() -> skopeo.copy(src.ref("1.0"), "docker://" + wharf.hostPort() + "/team/app:1.0",
        "--dest-authfile", auth.toString()))
        .isInstanceOf(Skopeo.SkopeoException.class).hasMessageContaining("403 (Forbidden)");

    assertThatThrownBy(() -> skopeo.run(List.of("login", "--tls-verify=false", "--authfile",
        tmp.resolve("auth-wrong.json").toString(), "-u", "robot$skopeo", "-p", "wharf_robot_wrong", wharf.hostPort())))
        .isInstanceOf(Skopeo.SkopeoException.class);
  }

  @Test
  void dockerDaemon_logsInWithARobot_pullsAndPushes_untilTheRobotIsDisabled() throws Exception {
    // dockerd runs as root only; .ci/run runs as root, a developer's interop run may not.
    assumeTrue("root".equals(System.getProperty("user.name")), "dockerd needs root");
    assertThat(DockerDaemon.isInstalled()).as("dockerd is missing: .ci/run installs docker.io with apt-get").isTrue();
    String secret = robot("docker");
    OciLayouts src = fresh("src-docker", 812);
    skopeo.copy(src.ref("1.0"), "docker://" + wharf.hostPort() + "/ci/base:1.0", "--dest-creds", "robot$docker:" + secret);

    try (DockerDaemon docker = DockerDaemon.start(tmp.resolve("docker"), List.of(), List.of(wharf.hostPort()))) {
      assertThat(docker.run("login", "-u", "robot$docker", "-p", secret, wharf.hostPort())).contains("Login Succeeded");
      String base = wharf.hostPort() + "/ci/base:1.0";
      docker.run("pull", "-q", base);
      String copy = wharf.hostPort() + "/ci/copy:1.0";
      docker.run("tag", base, copy);
      docker.run("push", copy);
      assertThat(skopeo.run(List.of("list-tags", "--tls-verify=false", "--creds", "robot$docker:" + secret,
          "docker://" + wharf.hostPort() + "/ci/copy"))).asString().contains("1.0");

      String outside = wharf.hostPort() + "/team/copy:1.0";
      docker.run("tag", base, outside);
      assertThatThrownBy(() -> docker.run("push", outside)).hasMessageContaining("denied");

      assertThat(admin("PUT", "/wharf/api/v1/robots/docker", "{\"disabled\":true}").statusCode()).isEqualTo(200);
      docker.run("rmi", base, copy);
      assertThatThrownBy(() -> docker.run("pull", "-q", base)).isInstanceOf(Command.CommandException.class);
    }
  }
}
