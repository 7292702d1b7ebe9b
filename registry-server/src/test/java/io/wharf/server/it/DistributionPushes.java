package io.wharf.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;

/**
 * Pushes small images of {@code team/app} over the distribution API alone (a {@code POST} and a
 * {@code PUT} per blob, then the manifest), as a client does, to Wharf or to Debian's
 * {@code docker-registry}: the sync ITs seed a pull rule's source and a push rule's Wharf with it.
 * {@link #signedIndex} is the image they copy: a two-platform index with a cosign-style signature.
 */
final class DistributionPushes {
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(30)).build();
  static final String SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json";

  private final Random random = new Random(19);

  /** A manifest as pushed: its media type and bytes. */
  record Manifest(String mediaType, byte[] bytes) {
    Digest digest() {
      return Digest.sha256(bytes);
    }

    /** Its descriptor in an index, with {@code linux/<platform>}, or without a platform if null. */
    String descriptor(String platform) {
      String p = platform == null ? "" : ",\"platform\":{\"os\":\"linux\",\"architecture\":\"" + platform + "\"}";
      return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest() + "\",\"size\":" + bytes.length + p + "}";
    }
  }

  /** What {@link #signedIndex} pushed: the index, its two children and the signature. */
  record Pushed(Manifest index, Manifest amd64, Manifest arm64, Manifest signature) {}

  /**
   * Pushes an {@code amd64} and an {@code arm64} image by digest, an index of both tagged
   * {@code multi}, and a signature of the index by its digest.
   */
  Pushed signedIndex(String url, String auth) throws Exception {
    Manifest amd = image(url, auth, "amd64");
    Manifest arm = image(url, auth, "arm64");
    Manifest index = new Manifest(MediaTypes.OCI_INDEX, ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX
        + "\",\"manifests\":[" + amd.descriptor("amd64") + "," + arm.descriptor("arm64") + "]}")
        .getBytes(StandardCharsets.UTF_8));
    putManifest(url, auth, "multi", index);
    return new Pushed(index, amd, arm, signature(url, auth, index));
  }

  /**
   * Lists {@code pushed}'s signature in an index under the referrers tag schema's tag
   * ({@code sha256-<hex>} of the index), as clients of a registry without the referrers API
   * (distribution 2.8) do.
   */
  void listInTagSchema(String url, String auth, Pushed pushed) throws Exception {
    Manifest signature = pushed.signature();
    Manifest referrers = new Manifest(MediaTypes.OCI_INDEX, ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX
        + "\",\"manifests\":[{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + signature.digest()
        + "\",\"size\":" + signature.bytes().length + ",\"artifactType\":\"" + SIGNATURE + "\"}]}")
        .getBytes(StandardCharsets.UTF_8));
    Digest index = pushed.index().digest();
    putManifest(url, auth, index.algorithm() + "-" + index.hex(), referrers);
  }

  /** A cosign-style signature of {@code subject}, pushed by its digest. */
  Manifest signature(String url, String auth, Manifest subject) throws Exception {
    byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
    byte[] payload = ("{\"critical\":{\"image\":{\"docker-manifest-digest\":\"" + subject.digest() + "\"}}}")
        .getBytes(StandardCharsets.UTF_8);
    pushBlob(url, auth, empty);
    pushBlob(url, auth, payload);
    Manifest signature = new Manifest(MediaTypes.OCI_MANIFEST, ("{\"schemaVersion\":2,\"mediaType\":\""
        + MediaTypes.OCI_MANIFEST + "\",\"artifactType\":\"" + SIGNATURE + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_EMPTY + "\",\"digest\":\"" + Digest.sha256(empty) + "\",\"size\":2},\"layers\":[{\"mediaType\":\""
        + SIGNATURE + "\",\"digest\":\"" + Digest.sha256(payload) + "\",\"size\":" + payload.length + "}],\"subject\":"
        + subject.descriptor(null) + "}").getBytes(StandardCharsets.UTF_8));
    putManifest(url, auth, signature.digest().value(), signature);
    return signature;
  }

  /** An image of {@code linux/<arch>} (a config and one random layer of about 100 kB), pushed by its digest. */
  Manifest image(String url, String auth, String arch) throws Exception {
    byte[] config = ("{\"architecture\":\"" + arch + "\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}")
        .getBytes(StandardCharsets.UTF_8);
    byte[] layer = new byte[100_000 + random.nextInt(1000)];
    random.nextBytes(layer);
    pushBlob(url, auth, config);
    pushBlob(url, auth, layer);
    Manifest m = new Manifest(MediaTypes.OCI_MANIFEST, ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
        + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(config)
        + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR_GZIP
        + "\",\"digest\":\"" + Digest.sha256(layer) + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8));
    putManifest(url, auth, m.digest().value(), m);
    return m;
  }

  /** Uploads {@code content} as a blob of {@code team/app}: a {@code POST}, then one {@code PUT} with the digest. */
  void pushBlob(String url, String auth, byte[] content) throws Exception {
    HttpResponse<String> started = send(HttpRequest.newBuilder(URI.create(url + "/v2/team/app/blobs/uploads/"))
        .POST(HttpRequest.BodyPublishers.noBody()), auth);
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    URI upload = URI.create(url + "/").resolve(started.headers().firstValue("Location").orElseThrow());
    String put = upload + (upload.getRawQuery() == null ? "?" : "&") + "digest=" + Digest.sha256(content);
    HttpResponse<String> done = send(HttpRequest.newBuilder(URI.create(put)).header("Content-Type", "application/octet-stream")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(content)), auth);
    assertThat(done.statusCode()).as(done.body()).isEqualTo(201);
  }

  /** Puts {@code m} as {@code team/app:reference} (a tag or its digest). */
  void putManifest(String url, String auth, String reference, Manifest m) throws Exception {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(url + "/v2/team/app/manifests/" + reference))
        .header("Content-Type", m.mediaType()).PUT(HttpRequest.BodyPublishers.ofByteArray(m.bytes())), auth);
    assertThat(r.statusCode()).as(reference + ": " + r.body()).isEqualTo(201);
  }

  /** Sends {@code b} with the {@code Authorization} header {@code auth} (none if null) and a minute's timeout. */
  static HttpResponse<String> send(HttpRequest.Builder b, String auth) throws IOException, InterruptedException {
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return HTTP.send(b.timeout(Duration.ofMinutes(1)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
