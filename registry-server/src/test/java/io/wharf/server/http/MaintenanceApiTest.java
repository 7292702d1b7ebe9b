package io.wharf.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.http.RegistryHttp.Resp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The maintenance of a configured server: policies and limits from the config file become the
 * steps of the store's job, which runs on demand through {@code /wharf/api/v1/maintenance}
 * (dry run first), and only administrators may run it once security is on.
 */
class MaintenanceApiTest {
  static final String NAME = "team/app";
  static final String API = "/wharf/api/v1/maintenance";

  @TempDir
  Path dir;

  static String[] basic(String user, String password) {
    return new String[] {"Authorization",
        "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8))};
  }

  /** Pushes a small image as {@code tag}; apart so that keepLatest can rank the tags by push time. */
  static void push(RegistryHttp http, String tag) throws InterruptedException {
    http.pushImage(NAME, tag, 1);
    Thread.sleep(20);
  }

  static String tags(RegistryHttp http) {
    return http.get("/v2/" + NAME + "/tags/list").text();
  }

  @Test
  void configuredPolicies_runOnDemand_dryRunFirst() throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default:
            type: file
            path: DATA
            maintenance: {schedule: "0 3 * * *", grace: 1h, purgeUploads: 24h}
        repositories:
          - name: docker-hosted
            cleanup: {keepLatest: 1, exclude: "latest"}
            quota: {hard: 10MiB, soft: 8MiB}
          - name: hub
            type: proxy
            remoteUrl: http://127.0.0.1:9
            cache: {maxSize: 1GiB, maxUnusedAge: 30d}
        """.replace("DATA", dir.resolve("data").toString());
    try (RegistryHttp http = RegistryHttp.of(WharfServer.start(ConfigLoader.parse(yaml, "maintenance-test.yaml")))) {
      push(http, "1.0");
      push(http, "latest");
      push(http, "2.0");
      push(http, "3.0");

      Resp status = http.get(API);
      assertThat(status.status()).isEqualTo(200);
      assertThat(status.header("Content-Type")).isEqualTo("application/json");
      assertThat(status.text()).contains("\"store\":\"default\"").contains("\"schedule\":\"0 3 * * *\"")
          .contains("cleanup of docker-hosted").contains("cache limits of hub").contains("\"next\":\"");

      Resp dry = http.post(API + "/default?dryRun=true&wait=true", new byte[0]);
      assertThat(dry.status()).as("%s", dry).isEqualTo(200);
      assertThat(dry.text()).contains("\"dryRun\":true").contains("team/app:1.0").contains("team/app:2.0")
          .doesNotContain("team/app:3.0").doesNotContain("team/app:latest");
      assertThat(tags(http)).contains("1.0", "2.0", "3.0", "latest");

      Resp run = http.post(API + "/default?wait=true", new byte[0]);
      assertThat(run.status()).as("%s", run).isEqualTo(200);
      assertThat(run.text()).contains("\"dryRun\":false").contains("tags deleted 2").contains("\"error\":null");
      assertThat(tags(http)).contains("3.0", "latest").doesNotContain("1.0").doesNotContain("2.0");

      Resp async = http.post(API + "/default", new byte[0]);
      assertThat(async.status()).isEqualTo(202);
      assertThat(async.text()).contains("\"store\":\"default\"");

      Resp unknown = http.post(API + "/nope?wait=true", new byte[0]);
      assertThat(unknown.status()).isEqualTo(404);
      assertThat(unknown.text()).contains("NAME_UNKNOWN").contains("no blob store named \\\"nope\\\"");
      Resp wrongMethod = http.get(API + "/default");
      assertThat(wrongMethod.status()).isEqualTo(405);
      assertThat(wrongMethod.header("Allow")).isEqualTo("POST");
    }
  }

  @Test
  void withSecurity_onlyAdministratorsRunMaintenance() throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores: {default: {type: file, path: DATA}}
        security:
          realms: [basic]
          users:
            - {name: admin, passwordHash: "ADMIN", roles: [admins]}
            - {name: dev, passwordHash: "DEV", roles: [devs]}
          roles:
            - {name: admins, privileges: ["*:admin"]}
            - {name: devs, privileges: ["docker-hosted:read", "docker-hosted:write", "docker-hosted:delete"]}
        repositories:
          - {name: docker-hosted, cleanup: {keepLatest: 5}}
        """.replace("DATA", dir.resolve("data").toString())
        .replace("ADMIN", PasswordHashes.hash("admin-pw".toCharArray(), 4))
        .replace("DEV", PasswordHashes.hash("dev-pw".toCharArray(), 4));
    try (RegistryHttp http = RegistryHttp.of(WharfServer.start(ConfigLoader.parse(yaml, "maintenance-security-test.yaml")))) {
      String run = API + "/default?dryRun=true&wait=true";

      Resp unknown = http.post(API + "/nope", new byte[0]);
      assertThat(unknown.status()).as("nothing about the stores before a login").isEqualTo(401);
      assertThat(unknown.text()).doesNotContain("default");

      Resp anonymous = http.post(run, new byte[0]);
      assertThat(anonymous.status()).isEqualTo(401);
      assertThat(anonymous.header("WWW-Authenticate")).startsWith("Basic");

      assertThat(http.post(run, new byte[0], basic("admin", "nope")).status()).isEqualTo(401);

      Resp developer = http.post(run, new byte[0], basic("dev", "dev-pw"));
      assertThat(developer.status()).isEqualTo(403);
      assertThat(developer.text()).contains("DENIED").contains("admin");
      assertThat(http.get(API, basic("dev", "dev-pw")).status()).isEqualTo(403);

      Resp admin = http.post(run, new byte[0], basic("admin", "admin-pw"));
      assertThat(admin.status()).as("%s", admin).isEqualTo(200);
      assertThat(admin.text()).contains("cleanup of docker-hosted");
    }
  }
}
