package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.quota.Quota;
import io.wharf.core.quota.RepositoryQuota;
import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import io.wharf.server.http.RegistryHttp.ManifestJson;
import io.wharf.server.http.RegistryHttp.Resp;
import io.wharf.storage.fs.FilesystemDriver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Per-repository quotas over real HTTP, on the filesystem driver (so the tests can look at what is stored). */
class QuotaTest {
  static {
    RegistryHttp.JSON.getClass(); // RegistryHttp first: it picks the logging configuration
  }

  static final int MIB = 1024 * 1024;
  static final String NAME = "quota/app";
  static final String OCTET = MediaTypes.OCTET_STREAM;

  @TempDir Path dir;
  private RegistryHttp http;
  private HostedRepository repo;

  @AfterEach
  void stop() {
    if (http != null) {
      http.close();
    }
  }

  private void start(Quota quota) throws Exception {
    repo = HostedRepository.builder("hosted", new FilesystemDriver(dir)).quota(quota).build();
    http = RegistryHttp.start(repo);
  }

  private RepositoryQuota quota() {
    return repo.quota().orElseThrow();
  }

  /** Every regular file under {@code docker/registry/v2/<sub>}. */
  private List<Path> files(String sub) {
    Path root = dir.resolve("docker/registry/v2").resolve(sub);
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private List<Path> uploadFiles() {
    return files("repositories/" + NAME + "/_uploads");
  }

  private static void assertQuotaDenied(Resp r) {
    JsonNode error = assertError(r, 403, "DENIED");
    assertThat(error.path("message").asString()).contains("quota exceeded").contains("\"hosted\"")
        .contains("of its 1 MiB limit");
  }

  private String startUpload() {
    Resp post = http.post("/v2/" + NAME + "/blobs/uploads/", new byte[0]);
    assertThat(post.status()).as("start %s", post).isEqualTo(202);
    return post.location();
  }

  private void assertUploadGone(String location) {
    assertError(http.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    assertThat(uploadFiles()).isEmpty();
  }

  @Test
  void streamedPatch_pastHardLimit_403DeniedNothingStoredUploadGone() throws Exception {
    start(Quota.hard(MIB));
    byte[] blob = RegistryHttp.randomBlob(3 * MIB);
    String location = startUpload();

    Resp patch = http.send("PATCH", location, RegistryHttp.streamed(blob), "Content-Type", OCTET);

    assertQuotaDenied(patch);
    assertUploadGone(location);
    assertThat(files("blobs")).isEmpty();
    assertThat(http.head("/v2/" + NAME + "/blobs/" + RegistryHttp.digest(blob)).status()).isEqualTo(404);
  }

  @Test
  void streamedMonolithicPost_pastHardLimit_403NothingStored() throws Exception {
    start(Quota.hard(MIB));
    byte[] blob = RegistryHttp.randomBlob(2 * MIB);

    Resp post = http.send("POST", "/v2/" + NAME + "/blobs/uploads/?digest=" + RegistryHttp.digest(blob),
        RegistryHttp.streamed(blob), "Content-Type", OCTET);

    assertQuotaDenied(post);
    assertThat(files("blobs")).isEmpty();
    assertThat(uploadFiles()).isEmpty();
  }

  @Test
  void putWithContentLength_pastHardLimit_refusedBeforeTheBodyIsSent() throws Exception {
    start(Quota.hard(MIB));
    String location = startUpload();
    Digest digest = RegistryHttp.unknownDigest();

    // Only the head goes out, and the connection stays open: an answer proves the body was not awaited.
    String head = http.rawHead("PUT", location + "?digest=" + digest,
        "Content-Type: " + OCTET, "Content-Length: " + (2 * MIB));
    String response = new String(http.raw(head.getBytes(US_ASCII), false), US_ASCII);

    assertThat(response).startsWith("HTTP/1.1 403").contains("DENIED").contains("quota exceeded");
    assertUploadGone(location);
  }

  @Test
  void monolithicPostWithContentLength_pastHardLimit_refusedBeforeTheBodyIsSent() throws Exception {
    start(Quota.hard(MIB));

    String head = http.rawHead("POST", "/v2/" + NAME + "/blobs/uploads/?digest=" + RegistryHttp.unknownDigest(),
        "Content-Type: " + OCTET, "Content-Length: " + (5L * MIB));
    String response = new String(http.raw(head.getBytes(US_ASCII), false), US_ASCII);

    assertThat(response).startsWith("HTTP/1.1 403").contains("quota exceeded");
    assertThat(uploadFiles()).isEmpty();
  }

  @Test
  void chunkedUpload_chunksAddUp_refusedWhenTheyPassTheLimit() throws Exception {
    start(Quota.hard(MIB));
    String location = startUpload();
    Resp p1 = http.patch(location, RegistryHttp.randomBlob(600 * 1024), "Content-Type", OCTET,
        "Content-Range", "0-" + (600 * 1024 - 1));
    assertThat(p1.status()).as("%s", p1).isEqualTo(202);

    Resp p2 = http.patch(p1.location(), RegistryHttp.randomBlob(600 * 1024), "Content-Type", OCTET,
        "Content-Range", (600 * 1024) + "-" + (1200 * 1024 - 1));

    assertQuotaDenied(p2);
    assertUploadGone(location);
  }

  @Test
  void uploadingAgainABlobTheImageAlreadyHas_atTheLimit_isAccepted() throws Exception {
    byte[] blob = RegistryHttp.randomBlob(600 * 1024);
    start(Quota.hard(MIB));
    http.pushBlob(NAME, blob);

    // a client that did not HEAD first: the bytes add nothing, so the quota does not refuse them
    Resp again = http.post("/v2/" + NAME + "/blobs/uploads/?digest=" + RegistryHttp.digest(blob), blob,
        "Content-Type", OCTET);

    assertThat(again.status()).as("%s", again).isEqualTo(201);
    assertThat(quota().usedBytes()).isEqualTo(blob.length);
  }

  @Test
  void pushUnderLimit_succeeds_usageCountsBlobsAndManifest() throws Exception {
    start(Quota.hard(MIB));

    ManifestJson m = http.pushImage(NAME, "v1", 3);

    assertThat(http.get("/v2/" + NAME + "/manifests/v1").status()).isEqualTo(200);
    long blobs = files("blobs").stream().mapToLong(p -> p.toFile().length()).sum();
    assertThat(quota().usedBytes()).isEqualTo(blobs).isGreaterThan(m.bytes().length);
    assertThat(quota().reservedBytes()).isZero();
  }

  @Test
  void manifestPut_pastHardLimit_403() throws Exception {
    byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(US_ASCII);
    byte[] layer = RegistryHttp.randomBlob(1000);
    start(Quota.hard(config.length + layer.length + 10));
    http.pushBlob(NAME, config);
    http.pushBlob(NAME, layer);
    ManifestJson m = ManifestJson.oci().config(MediaTypes.OCI_CONFIG, config)
        .layer(MediaTypes.OCI_LAYER_TAR_GZIP, RegistryHttp.digest(layer), layer.length);

    Resp put = http.put("/v2/" + NAME + "/manifests/v1", m.bytes(), "Content-Type", m.mediaType());

    JsonNode error = assertError(put, 403, "DENIED");
    assertThat(error.path("message").asString()).contains("quota exceeded");
    assertError(http.get("/v2/" + NAME + "/manifests/v1"), 404, "MANIFEST_UNKNOWN");
  }

  @Test
  void crossRepositoryMount_fromAnotherRepositoryPastLimit_403_withinTheRepositoryFree() throws Exception {
    FilesystemDriver storage = new FilesystemDriver(dir);
    repo = HostedRepository.builder("hosted", storage).namespace("hosted").quota(Quota.hard(MIB)).build();
    HostedRepository other = HostedRepository.builder("other", storage).namespace("other").build();
    http = RegistryHttp.start(new GroupRepository("group", List.of(repo, other), repo));
    // the blob is stored (for "other") and readable through the group, but not part of "hosted"
    byte[] foreign = RegistryHttp.randomBlob(700 * 1024);
    Digest foreignDigest = pushDirect(other, "team/base", foreign);
    http.pushBlob("team/app", RegistryHttp.randomBlob(500 * 1024));

    Resp mount = http.post("/v2/team/app/blobs/uploads/?mount=" + foreignDigest + "&from=team/base", new byte[0]);

    JsonNode error = assertError(mount, 403, "DENIED");
    assertThat(error.path("message").asString()).contains("quota exceeded");
    assertThat(repo.getBlob(ImageName.of("team/app"), foreignDigest)).isEmpty();

    // a blob of this repository mounted into another of its images stores nothing new: allowed at any usage
    Digest own = http.pushBlob("team/app", RegistryHttp.randomBlob(400 * 1024));
    Resp internal = http.post("/v2/team/tools/blobs/uploads/?mount=" + own + "&from=team/app", new byte[0]);
    assertThat(internal.status()).as("%s", internal).isEqualTo(201);
  }

  @Test
  void softLimit_pushSucceedsWithWarningHeader() throws Exception {
    start(Quota.soft(1024));
    byte[] small = RegistryHttp.randomBlob(512);
    Resp under = http.post("/v2/" + NAME + "/blobs/uploads/?digest=" + RegistryHttp.digest(small), small,
        "Content-Type", OCTET);
    assertThat(under.status()).isEqualTo(201);
    assertThat(under.header("Warning")).isNull();

    byte[] big = RegistryHttp.randomBlob(2048);
    Resp over = http.post("/v2/" + NAME + "/blobs/uploads/?digest=" + RegistryHttp.digest(big), big,
        "Content-Type", OCTET);

    assertThat(over.status()).isEqualTo(201);
    assertThat(over.header("Warning")).startsWith("299 - \"").contains("quota")
        .contains("repository 'hosted' uses 2.5 KiB, over its soft limit of 1 KiB");
    assertThat(http.get("/v2/" + NAME + "/blobs/" + RegistryHttp.digest(big)).body()).isEqualTo(big);
  }

  @Test
  void softAndHard_manifestPushOverSoft_warnsInManifestResponse() throws Exception {
    start(new Quota(MIB, 1024));

    ManifestJson m = http.pushImage(NAME, "v1", 4);
    Resp again = http.put("/v2/" + NAME + "/manifests/v2", m.bytes(), "Content-Type", m.mediaType());

    assertThat(again.status()).isEqualTo(201);
    assertThat(again.header("Warning")).contains("quota warning").contains("(hard limit 1 MiB)");
  }

  @Test
  void afterDeleteAndRefresh_spaceAvailableAgain() throws Exception {
    start(Quota.hard(MIB));
    Digest first = http.pushBlob(NAME, RegistryHttp.randomBlob(700 * 1024));
    byte[] second = RegistryHttp.randomBlob(700 * 1024);
    Digest secondDigest = RegistryHttp.digest(second);
    Resp refused = http.post("/v2/" + NAME + "/blobs/uploads/?digest=" + secondDigest, second, "Content-Type", OCTET);
    assertQuotaDenied(refused);

    assertThat(http.delete("/v2/" + NAME + "/blobs/" + first).status()).isEqualTo(202);
    quota().refresh();

    assertThat(quota().usedBytes()).isZero();
    http.pushBlob(NAME, second);
    assertThat(quota().usedBytes()).isEqualTo(second.length);
  }

  @Test
  void otherNodeDeleted_refusalRescansFirst_pushSucceeds() throws Exception {
    start(Quota.hard(MIB));
    Digest first = http.pushBlob(NAME, RegistryHttp.randomBlob(700 * 1024));
    // another node on the same storage deletes it; this node's number still counts it
    HostedRepository.builder("hosted", new FilesystemDriver(dir)).build()
        .deleteBlob(ImageName.of(NAME), first);
    assertThat(quota().usedBytes()).isEqualTo(700 * 1024);

    http.pushBlob(NAME, RegistryHttp.randomBlob(700 * 1024));

    assertThat(quota().usedBytes()).isEqualTo(700 * 1024);
  }

  /** Pushes a blob straight into a repository, not over HTTP (here: one the server does not serve alone). */
  private static Digest pushDirect(HostedRepository repository, String image, byte[] bytes) throws IOException {
    ImageName name = ImageName.of(image);
    UploadSession session = repository.startUpload(name);
    Digest d = Digest.sha256(bytes);
    repository.finishUpload(name, session.id(), new ByteArrayInputStream(bytes), Chunk.ofLength(bytes.length), d);
    return d;
  }
}
