package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static io.wharf.server.http.RegistryHttp.randomBlob;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.WritePolicy;
import io.wharf.server.http.RegistryHttp.ManifestJson;
import io.wharf.server.http.RegistryHttp.Resp;
import io.wharf.storage.memory.InMemoryDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link WritePolicy}: {@code DENY} refuses every push and delete but serves reads;
 * {@code ALLOW_ONCE} keeps a tag on its first digest (re-pushing that digest is fine), unless
 * {@code allowLatestRedeploy} lets {@code latest} move. Refusals are 403 {@code DENIED}.
 */
class WritePolicyTest {
  private static final String NAME = "policy/app";
  /** One storage, served by a writable repository (to seed content) and by the policies under test. */
  private static final InMemoryDriver STORAGE = new InMemoryDriver();
  private static RegistryHttp seed;
  private static RegistryHttp deny;
  private static RegistryHttp once;
  private static RegistryHttp onceLatest;
  private static ManifestJson seeded;

  @BeforeAll
  static void start() throws Exception {
    seed = RegistryHttp.start(HostedRepository.builder("seed", STORAGE).build());
    seeded = seed.pushImage(NAME, "v1", 1);
    deny = RegistryHttp.start(HostedRepository.builder("deny", STORAGE).writePolicy(WritePolicy.DENY).build());
    once = RegistryHttp.start(HostedRepository.builder("once", new InMemoryDriver())
        .writePolicy(WritePolicy.ALLOW_ONCE).build());
    onceLatest = RegistryHttp.start(HostedRepository.builder("once-latest", new InMemoryDriver())
        .writePolicy(WritePolicy.ALLOW_ONCE).allowLatestRedeploy(true).build());
  }

  @AfterAll
  static void stop() {
    seed.close();
    deny.close();
    once.close();
    onceLatest.close();
  }

  @Test
  void deny_pull_served() {
    Resp r = deny.get("/v2/" + NAME + "/manifests/v1");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(seeded.bytes());
  }

  @Test
  void deny_blobPushes_403Denied() {
    byte[] blob = randomBlob(10);
    Digest d = RegistryHttp.digest(blob);

    assertError(deny.post("/v2/" + NAME + "/blobs/uploads/", new byte[0]), 403, "DENIED");
    assertError(deny.post("/v2/" + NAME + "/blobs/uploads/?digest=" + d, blob,
        "Content-Type", "application/octet-stream"), 403, "DENIED");
    assertError(deny.post("/v2/policy/other/blobs/uploads/?mount=" + d + "&from=" + NAME, new byte[0]), 403, "DENIED");
    assertThat(deny.get("/v2/" + NAME + "/blobs/" + d).status()).isEqualTo(404);
  }

  @Test
  void deny_uploadSessionFromElsewhere_403Denied() {
    byte[] blob = randomBlob(10);
    String location = seed.post("/v2/" + NAME + "/blobs/uploads/", new byte[0]).location();

    assertError(deny.patch(location, blob), 403, "DENIED");
    assertError(deny.put(location + "?digest=" + RegistryHttp.digest(blob), blob), 403, "DENIED");
    assertThat(seed.get("/v2/" + NAME + "/blobs/" + RegistryHttp.digest(blob)).status()).isEqualTo(404);
  }

  @Test
  void deny_manifestPush_403DeniedAndTagUnchanged() {
    ManifestJson m = ManifestJson.oci().field("config", seeded.get("config"))
        .annotation("attempt", "deny");

    assertError(deny.put("/v2/" + NAME + "/manifests/v1", m.bytes(), "Content-Type", m.mediaType()), 403, "DENIED");
    assertError(deny.put("/v2/" + NAME + "/manifests/v2", m.bytes(), "Content-Type", m.mediaType()), 403, "DENIED");

    assertThat(deny.get("/v2/" + NAME + "/manifests/v1").body()).isEqualTo(seeded.bytes());
    assertThat(deny.get("/v2/" + NAME + "/manifests/v2").status()).isEqualTo(404);
  }

  @Test
  void deny_deletes_403Denied() {
    assertError(deny.delete("/v2/" + NAME + "/manifests/v1"), 403, "DENIED");
    assertError(deny.delete("/v2/" + NAME + "/manifests/" + seeded.digest()), 403, "DENIED");
    Digest layer = seeded.layer(0);
    assertError(deny.delete("/v2/" + NAME + "/blobs/" + layer), 403, "DENIED");

    assertThat(deny.get("/v2/" + NAME + "/manifests/v1").status()).isEqualTo(200);
    assertThat(deny.get("/v2/" + NAME + "/blobs/" + layer).status()).isEqualTo(200);
  }

  @Test
  void allowOnce_moveExistingTag_403DeniedTagKeepsDigest() {
    String name = "policy/once-move";
    ManifestJson first = once.pushImage(name, "1.0", 1);
    ManifestJson second = once.pushImage(name, "scratch", 1);

    Resp r = once.put("/v2/" + name + "/manifests/1.0", second.bytes(), "Content-Type", second.mediaType());

    assertError(r, 403, "DENIED");
    assertThat(once.get("/v2/" + name + "/manifests/1.0").body()).isEqualTo(first.bytes());
  }

  @Test
  void allowOnce_repushSameDigest_201() {
    String name = "policy/once-same";
    ManifestJson m = once.pushImage(name, "1.0", 1);

    Resp r = once.put("/v2/" + name + "/manifests/1.0", m.bytes(), "Content-Type", m.mediaType());

    assertThat(r.status()).as("%s", r).isEqualTo(201);
    assertThat(r.header("Docker-Content-Digest")).isEqualTo(m.digest().value());
  }

  @Test
  void allowOnce_newTagsAndDigestPushes_201() {
    String name = "policy/once-new";
    ManifestJson m = once.pushImage(name, "1.0", 1);

    once.pushManifest(name, "1.0-alias", m);
    once.pushManifest(name, m.digest().value(), m);

    assertThat(once.get("/v2/" + name + "/manifests/1.0-alias").body()).isEqualTo(m.bytes());
  }

  @Test
  void allowOnce_latestWithoutRedeploy_403Denied() {
    String name = "policy/once-latest";
    ManifestJson first = once.pushImage(name, "latest", 1);
    ManifestJson second = once.pushImage(name, "other", 1);

    assertError(once.put("/v2/" + name + "/manifests/latest", second.bytes(), "Content-Type", second.mediaType()),
        403, "DENIED");
    assertThat(once.get("/v2/" + name + "/manifests/latest").body()).isEqualTo(first.bytes());
  }

  @Test
  void allowOnce_deletes_403Denied() {
    String name = "policy/once-delete";
    ManifestJson m = once.pushImage(name, "1.0", 1);

    assertError(once.delete("/v2/" + name + "/manifests/1.0"), 403, "DENIED");
    assertError(once.delete("/v2/" + name + "/manifests/" + m.digest()), 403, "DENIED");
    assertThat(once.get("/v2/" + name + "/manifests/1.0").status()).isEqualTo(200);
  }

  @Test
  void allowLatestRedeploy_latestMoves_201() {
    String name = "policy/redeploy";
    onceLatest.pushImage(name, "latest", 1);
    ManifestJson second = onceLatest.pushImage(name, "2.0", 1);

    Resp r = onceLatest.put("/v2/" + name + "/manifests/latest", second.bytes(), "Content-Type", second.mediaType());

    assertThat(r.status()).as("%s", r).isEqualTo(201);
    assertThat(onceLatest.get("/v2/" + name + "/manifests/latest").body()).isEqualTo(second.bytes());
  }

  @Test
  void allowLatestRedeploy_otherTagsStillLocked_403Denied() {
    String name = "policy/redeploy-locked";
    ManifestJson first = onceLatest.pushImage(name, "1.0", 1);
    ManifestJson second = onceLatest.pushImage(name, "2.0", 1);

    assertError(onceLatest.put("/v2/" + name + "/manifests/1.0", second.bytes(), "Content-Type", second.mediaType()),
        403, "DENIED");
    assertThat(onceLatest.get("/v2/" + name + "/manifests/1.0").body()).isEqualTo(first.bytes());
  }
}
