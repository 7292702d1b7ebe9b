package io.wharf.server.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.proxy.ProxyRepository;
import io.wharf.server.WharfServer;
import io.wharf.server.config.WharfConfig;
import io.wharf.storage.memory.InMemoryDriver;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Referrers through a Wharf proxy and group whose upstream is Debian's docker-registry (CNCF
 * distribution 2.8), which has no referrers API: its router answers {@code 404 page not found}.
 * The signature and SBOM are attached upstream as clients do against such a registry: the
 * referrer manifests, plus an image index under the referrers tag schema ({@code sha256-<hex>})
 * that lists them. Wharf must find them through that tag, list only what verifies, serve the
 * referrer manifests and blobs byte for byte, and keep answering from its cache once the
 * upstream is gone.
 */
@Tag("interop")
class ProxyReferrersIT {
  static final String NAME = "team/app";
  static final String SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json";
  static final String SBOM = "application/spdx+json";
  static final ObjectMapper JSON = JsonMapper.builder().build();

  @TempDir Path tmp;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void distributionUpstreamWithoutReferrersApi_referrersTagSchemaThroughProxyAndGroup_cachedWhenUpstreamStops()
      throws Exception {
    DistributionProcess upstream = DistributionProcess.serve(tmp.resolve("upstream"));
    ProxyRepository proxy = null;
    WharfServer mirror = null;
    try {
      String up = upstream.url();
      // the image
      byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
          .getBytes(UTF_8);
      byte[] layer = "not really a tarball, but distribution does not look".getBytes(UTF_8);
      pushBlob(up, config);
      pushBlob(up, layer);
      byte[] subject = manifest(null, descriptor(MediaTypes.OCI_CONFIG, config),
          List.of(descriptor(MediaTypes.OCI_LAYER_TAR_GZIP, layer)), null, Map.of());
      pushManifest(up, "1.0", MediaTypes.OCI_MANIFEST, subject);
      Digest subjectDigest = Digest.sha256(subject);
      Map<String, Object> subjectDescriptor = Map.of("mediaType", MediaTypes.OCI_MANIFEST,
          "digest", subjectDigest.value(), "size", subject.length);

      // its signature and SBOM, hand-made referrers
      byte[] empty = "{}".getBytes(UTF_8);
      byte[] payload = ("{\"critical\":{\"image\":{\"docker-manifest-digest\":\"" + subjectDigest + "\"}}}").getBytes(UTF_8);
      byte[] spdx = ("{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"" + subjectDigest + "\"}").getBytes(UTF_8);
      pushBlob(up, empty);
      pushBlob(up, payload);
      pushBlob(up, spdx);
      byte[] signature = manifest(SIGNATURE, descriptor(MediaTypes.OCI_EMPTY, empty),
          List.of(descriptor("application/vnd.dev.cosign.simplesigning.v1+json", payload)), subjectDescriptor,
          Map.of("dev.cosignproject.cosign/signature", "MEUCIQDexample"));
      byte[] sbom = manifest(SBOM, descriptor(MediaTypes.OCI_EMPTY, empty), List.of(descriptor(SBOM, spdx)),
          subjectDescriptor, Map.of("org.example.kind", "sbom"));
      pushManifest(up, Digest.sha256(signature).value(), MediaTypes.OCI_MANIFEST, signature);
      pushManifest(up, Digest.sha256(sbom).value(), MediaTypes.OCI_MANIFEST, sbom);

      // distribution 2.8 has no referrers API: what makes the fallback the path under test
      HttpResponse<String> api = http.send(HttpRequest.newBuilder(
          URI.create(up + "/v2/" + NAME + "/referrers/" + subjectDigest)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(api.statusCode()).isEqualTo(404);
      assertThat(api.body()).contains("404 page not found");

      // the referrers tag schema index, as a client maintains it; plus an entry that is no referrer of the
      // subject (the image itself: distribution refuses an index whose entries it does not have)
      Map<String, Object> signatureEntry = referrerEntry(signature, SIGNATURE,
          Map.of("dev.cosignproject.cosign/signature", "MEUCIQDexample"));
      Map<String, Object> sbomEntry = referrerEntry(sbom, SBOM, Map.of("org.example.kind", "sbom"));
      Map<String, Object> notAReferrer = referrerEntry(subject, MediaTypes.OCI_CONFIG, Map.of());
      byte[] tagIndex = JSON.writeValueAsBytes(Map.of("schemaVersion", 2, "mediaType", MediaTypes.OCI_INDEX,
          "manifests", List.of(signatureEntry, sbomEntry, notAReferrer)));
      pushManifest(up, "sha256-" + subjectDigest.hex(), MediaTypes.OCI_INDEX, tagIndex);

      proxy = ProxyRepository.builder("cache", new InMemoryDriver(), URI.create(up))
          .metadataMaxAge(Duration.ZERO) // every request asks upstream: after it stops, only the cache answers
          .spoolDirectory(tmp.resolve("spool")).retries(0).build();
      HostedRepository local = HostedRepository.builder("local", new InMemoryDriver()).build();
      mirror = WharfServer.start(WharfConfig.defaults().override("127.0.0.1", 0, null), Registry.builder()
          .add(local).add(proxy).add(new GroupRepository("all", List.of(local, proxy), local)).build());
      String wharf = "http://127.0.0.1:" + mirror.port();

      for (String repository : List.of("cache", "all")) {
        HttpResponse<byte[]> listed = get(wharf + "/v2/" + repository + "/" + NAME + "/referrers/" + subjectDigest);
        assertThat(listed.statusCode()).as(repository).isEqualTo(200);
        assertThat(entries(listed.body())).as(repository).containsExactlyInAnyOrder(json(signatureEntry), json(sbomEntry));

        HttpResponse<byte[]> filtered = get(wharf + "/v2/" + repository + "/" + NAME + "/referrers/" + subjectDigest
            + "?artifactType=" + URLEncoder.encode(SBOM, UTF_8));
        assertThat(entries(filtered.body())).as(repository).containsExactly(json(sbomEntry));
        assertThat(filtered.headers().firstValue("OCI-Filters-Applied")).as(repository).hasValue("artifactType");

        HttpResponse<byte[]> m = get(wharf + "/v2/" + repository + "/" + NAME + "/manifests/" + Digest.sha256(signature));
        assertThat(m.statusCode()).as(repository).isEqualTo(200);
        assertThat(m.body()).as(repository).isEqualTo(signature);
        assertThat(m.headers().firstValue("Docker-Content-Digest")).hasValue(Digest.sha256(signature).value());
        HttpResponse<byte[]> blob = get(wharf + "/v2/" + repository + "/" + NAME + "/blobs/" + Digest.sha256(spdx));
        assertThat(blob.statusCode()).as(repository).isEqualTo(200);
        assertThat(blob.body()).as(repository).isEqualTo(spdx);
      }

      upstream.stop();

      for (String repository : List.of("cache", "all")) {
        HttpResponse<byte[]> stale = get(wharf + "/v2/" + repository + "/" + NAME + "/referrers/" + subjectDigest);
        assertThat(stale.statusCode()).as(repository).isEqualTo(200);
        assertThat(entries(stale.body())).as(repository).containsExactlyInAnyOrder(json(signatureEntry), json(sbomEntry));
        assertThat(stale.headers().firstValue("Warning")).as(repository)
            .hasValueSatisfying(w -> assertThat(w).contains("from the cache of cache"));
      }
    } finally {
      if (mirror != null) {
        mirror.close();
      }
      if (proxy != null) {
        proxy.close();
      }
      upstream.close();
    }
  }

  // ---- the distribution API, by hand

  private HttpResponse<byte[]> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private void pushBlob(String registry, byte[] content) throws Exception {
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + NAME + "/blobs/uploads/"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).as("%s", post.body()).isEqualTo(202);
    URI location = URI.create(registry).resolve(post.headers().firstValue("Location").orElseThrow());
    String sep = location.getRawQuery() == null ? "?" : "&";
    HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(location + sep + "digest=" + Digest.sha256(content)))
        .header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofByteArray(content)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).as("%s", put.body()).isEqualTo(201);
  }

  private void pushManifest(String registry, String reference, String mediaType, byte[] body) throws Exception {
    HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + NAME + "/manifests/" + reference))
        .header("Content-Type", mediaType).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).as("%s", put.body()).isEqualTo(201);
  }

  private static Map<String, Object> descriptor(String mediaType, byte[] content) {
    return Map.of("mediaType", mediaType, "digest", Digest.sha256(content).value(), "size", content.length);
  }

  private static byte[] manifest(String artifactType, Map<String, Object> config, List<Map<String, Object>> layers,
      Map<String, Object> subject, Map<String, String> annotations) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("schemaVersion", 2);
    m.put("mediaType", MediaTypes.OCI_MANIFEST);
    if (artifactType != null) {
      m.put("artifactType", artifactType);
    }
    m.put("config", config);
    m.put("layers", layers);
    if (subject != null) {
      m.put("subject", subject);
    }
    if (!annotations.isEmpty()) {
      m.put("annotations", annotations);
    }
    return JSON.writeValueAsBytes(m);
  }

  /** A referrers list entry as the spec describes it: the manifest's descriptor, artifact type and annotations. */
  private static Map<String, Object> referrerEntry(byte[] manifest, String artifactType, Map<String, String> annotations) {
    Map<String, Object> e = new LinkedHashMap<>(descriptor(MediaTypes.OCI_MANIFEST, manifest));
    e.put("artifactType", artifactType);
    if (!annotations.isEmpty()) {
      e.put("annotations", annotations);
    }
    return e;
  }

  private static JsonNode json(Map<String, Object> entry) {
    return JSON.valueToTree(entry);
  }

  private static List<JsonNode> entries(byte[] referrersIndex) {
    JsonNode body = JSON.readTree(referrersIndex);
    assertThat(body.get("mediaType").asString()).isEqualTo(MediaTypes.OCI_INDEX);
    return body.get("manifests").valueStream().toList();
  }
}
