package io.wharf.server.it;

import static io.wharf.server.it.OciLayouts.Compression.GZIP;
import static io.wharf.server.it.OciLayouts.Compression.NONE;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_AMD64;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_ARM64;
import static io.wharf.server.it.OciLayouts.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.server.it.OciLayouts.Descriptor;
import io.wharf.server.it.OciLayouts.Image;
import io.wharf.server.it.OciLayouts.Index;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * skopeo 1.9 (Debian) against a Wharf child process: push, pull, inspect, list-tags, delete.
 * Content is generated fresh per test and skopeo's persistent blob-info cache is off (see
 * {@link Skopeo}), so every blob is really uploaded.
 */
@Tag("interop")
class SkopeoInteropIT {
  static final String ACCEPT_ALL = String.join(", ", OciLayouts.MANIFEST, OciLayouts.INDEX,
      "application/vnd.docker.distribution.manifest.v2+json",
      "application/vnd.docker.distribution.manifest.list.v2+json");

  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path tmp;
  WharfProcess wharf;
  Skopeo skopeo;

  @BeforeAll
  static void toolsInstalled() {
    assertThat(Skopeo.isInstalled()).as("skopeo is missing: .ci/run installs it with apt-get").isTrue();
  }

  @BeforeEach
  void start() throws IOException {
    wharf = WharfProcess.serve(tmp.resolve("data"));
    skopeo = new Skopeo(tmp.resolve("skopeo"));
  }

  @AfterEach
  void stop() {
    if (wharf != null) {
      wharf.close();
    }
  }

  private String repo(String name) {
    return "docker://" + wharf.hostPort() + "/" + name;
  }

  @Test
  void copyAll_multiArchIndex_roundTripsIndexAndChildDigests() {
    OciLayouts src = OciLayouts.create(tmp.resolve("src"), 101);
    Image amd64 = src.image(LINUX_AMD64, GZIP, 2, 300 * 1024);
    Image arm64 = src.image(LINUX_ARM64, GZIP, 2, 300 * 1024);
    Index index = src.index(amd64, arm64);
    src.tag("1.0", index.descriptor());

    skopeo.copy(src.ref("1.0"), repo("team/multi:1.0"), "--all");

    byte[] served = skopeo.inspectRaw(repo("team/multi:1.0"));
    assertThat(sha256(served)).isEqualTo(index.descriptor().digest());
    for (Image child : List.of(amd64, arm64)) {
      byte[] raw = skopeo.inspectRaw(repo("team/multi@" + child.manifest().digest()));
      assertThat(sha256(raw)).as("child %s", child.platform()).isEqualTo(child.manifest().digest());
    }
    JsonNode arm = OciLayouts.JSON.readTree(skopeo.inspect(repo("team/multi:1.0"),
        "--override-os", "linux", "--override-arch", "arm64", "--override-variant", "v8"));
    assertThat(arm.path("Digest").stringValue(null)).isEqualTo(index.descriptor().digest());
    assertThat(arm.path("Architecture").stringValue(null)).isEqualTo("arm64");
    assertThat(strings(arm.path("Layers"))).containsExactlyElementsOf(digests(arm64.layers()));

    Path out = tmp.resolve("out");
    skopeo.copy(repo("team/multi:1.0"), "oci:" + out + ":1.0", "--all");
    assertThat(OciLayouts.resolve(out, "1.0").digest()).isEqualTo(index.descriptor().digest());
    assertThat(OciLayouts.corruptBlobs(out)).isEmpty();
    for (Image child : List.of(amd64, arm64)) {
      List<String> blobs = new ArrayList<>(digests(child.layers()));
      blobs.add(child.config().digest());
      blobs.add(child.manifest().digest());
      for (String digest : blobs) {
        assertThat(OciLayouts.blobPath(out, digest)).as("pulled %s", digest).isRegularFile();
      }
    }
  }

  @Test
  void listTags_tagsPushedInAnyOrder_listedSorted() {
    OciLayouts src = OciLayouts.create(tmp.resolve("src"), 102);
    Image image = src.image(LINUX_AMD64, GZIP, 1, 4096);
    List<String> tags = List.of("v2", "1.0", "latest", "0.9", "1.10");
    tags.forEach(t -> src.tag(t, image.manifest()));

    for (String tag : tags) {
      skopeo.copy(src.ref(tag), repo("team/tags:" + tag));
    }

    JsonNode listed = OciLayouts.JSON.readTree(skopeo.listTags(repo("team/tags")));
    assertThat(strings(listed.path("Tags"))).containsExactly("0.9", "1.0", "1.10", "latest", "v2");
  }

  @Test
  void delete_byDigest_manifestAndItsTagThen404() throws Exception {
    OciLayouts src = OciLayouts.create(tmp.resolve("src"), 103);
    Image image = src.image(LINUX_AMD64, GZIP, 1, 64 * 1024);
    src.tag("1", image.manifest());
    skopeo.copy(src.ref("1"), repo("team/del:1"));
    String digest = image.manifest().digest();
    assertThat(get("/v2/team/del/manifests/" + digest).statusCode()).isEqualTo(200);

    skopeo.delete(repo("team/del@" + digest));

    HttpResponse<byte[]> byDigest = get("/v2/team/del/manifests/" + digest);
    assertThat(byDigest.statusCode()).isEqualTo(404);
    assertThat(OciLayouts.JSON.readTree(byDigest.body()).path("errors").path(0).path("code")
        .stringValue(null)).isEqualTo("MANIFEST_UNKNOWN");
    assertThat(get("/v2/team/del/manifests/1").statusCode())
        .as("a tag pointing at a deleted manifest goes with it").isEqualTo(404);
    assertThatThrownBy(() -> skopeo.inspectRaw(repo("team/del@" + digest)))
        .isInstanceOf(Skopeo.SkopeoException.class);
  }

  @Test
  void copy_singleArchToDir_blobsAndManifestMatchSource() throws IOException {
    OciLayouts src = OciLayouts.create(tmp.resolve("src"), 104);
    Image image = src.image(LINUX_AMD64, GZIP, 3, 1024 * 1024);
    src.tag("2.0", image.manifest());
    skopeo.copy(src.ref("2.0"), repo("team/single:2.0"));

    Path dir = tmp.resolve("dir");
    skopeo.copy(repo("team/single:2.0"), "dir:" + dir);

    assertThat(sha256(Files.readAllBytes(dir.resolve("manifest.json"))))
        .isEqualTo(image.manifest().digest());
    List<Descriptor> blobs = new ArrayList<>(image.layers());
    blobs.add(image.config());
    for (Descriptor blob : blobs) {
      Path file = dir.resolve(hex(blob.digest()));
      assertThat(file).isRegularFile().hasSize(blob.size());
      assertThat(sha256(file)).isEqualTo(blob.digest());
    }
  }

  /**
   * A {@code docker://} destination wants compressed layers, so skopeo gzips plain-tar layers
   * while it uploads them: neither size nor digest is known up front, so each layer goes as one
   * PATCH with a chunked (Transfer-Encoding) body of unknown length, then {@code PUT ?digest=}.
   */
  @Test
  void copy_plainTarLayers_compressedWhileStreamed_pullBackDecompressesToSourceTars()
      throws IOException {
    OciLayouts src = OciLayouts.create(tmp.resolve("src"), 105);
    Image image = src.image(LINUX_AMD64, NONE, 2, 2 * 1024 * 1024);
    src.tag("raw", image.manifest());

    skopeo.copy(src.ref("raw"), repo("team/streamed:raw"), "--dest-compress-format", "gzip");

    byte[] raw = skopeo.inspectRaw(repo("team/streamed:raw"));
    JsonNode manifest = OciLayouts.JSON.readTree(raw);
    List<String> pushedLayers = new ArrayList<>();
    manifest.path("layers").values().forEach(l -> pushedLayers.add(l.path("digest").stringValue(null)));
    assertThat(pushedLayers).hasSize(2).doesNotContainAnyElementsOf(digests(image.layers()));

    Path dir = tmp.resolve("dir");
    skopeo.copy(repo("team/streamed:raw"), "dir:" + dir);
    assertThat(sha256(Files.readAllBytes(dir.resolve("manifest.json")))).isEqualTo(sha256(raw));
    for (int i = 0; i < pushedLayers.size(); i++) {
      Path layer = dir.resolve(hex(pushedLayers.get(i)));
      assertThat(sha256(layer)).isEqualTo(pushedLayers.get(i));
      try (InputStream in = new GZIPInputStream(Files.newInputStream(layer))) {
        assertThat(sha256(in.readAllBytes())).as("layer %d decompressed", i)
            .isEqualTo(image.layers().get(i).digest());
      }
    }
  }

  /**
   * Within one process skopeo remembers where it read each blob, so a registry-to-registry copy
   * between two names of the same registry offers a cross-repository mount
   * ({@code POST .../uploads/?mount=<digest>&from=team/origin}) before uploading.
   */
  @Test
  void copy_betweenNamesOfSameRegistry_blobsReachableUnderNewName() throws Exception {
    OciLayouts src = OciLayouts.create(tmp.resolve("src"), 106);
    Image image = src.image(LINUX_AMD64, GZIP, 2, 128 * 1024);
    src.tag("1", image.manifest());
    skopeo.copy(src.ref("1"), repo("team/origin:1"));

    skopeo.copy(repo("team/origin:1"), repo("team/mounted:1"));

    assertThat(sha256(skopeo.inspectRaw(repo("team/mounted:1")))).isEqualTo(image.manifest().digest());
    for (Descriptor layer : image.layers()) {
      HttpResponse<byte[]> blob = get("/v2/team/mounted/blobs/" + layer.digest());
      assertThat(blob.statusCode()).isEqualTo(200);
      assertThat(sha256(blob.body())).isEqualTo(layer.digest());
    }
  }

  private HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create(wharf.url() + path))
        .header("Accept", ACCEPT_ALL).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  static List<String> digests(List<Descriptor> descriptors) {
    return descriptors.stream().map(Descriptor::digest).toList();
  }

  static List<String> strings(JsonNode array) {
    return array.values().stream().map(n -> n.stringValue(null)).toList();
  }

  static String hex(String digest) {
    return digest.substring(digest.indexOf(':') + 1);
  }
}
