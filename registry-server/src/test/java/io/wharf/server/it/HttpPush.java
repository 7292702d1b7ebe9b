package io.wharf.server.it;

import io.wharf.server.it.OciLayouts.Descriptor;
import io.wharf.server.it.OciLayouts.Image;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Pushes an image of an {@link OciLayouts} layout to a registry with the distribution API alone
 * (a monolithic upload per blob, then the manifest): seeding an upstream with dozens of images
 * this way costs no client process per image, which matters on a busy machine. Pulls under test
 * still go through skopeo.
 */
final class HttpPush {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  private HttpPush() {}

  /** Pushes {@code image} (its blobs from {@code layout}) to {@code registryUrl} as {@code name:tag}. */
  static void push(String registryUrl, Path layout, String name, String tag, Image image)
      throws IOException, InterruptedException {
    List<Descriptor> blobs = new ArrayList<>(image.layers());
    blobs.add(image.config());
    for (Descriptor blob : blobs) {
      HttpResponse<String> started = send(HttpRequest.newBuilder(URI.create(registryUrl + "/v2/" + name + "/blobs/uploads/"))
          .POST(HttpRequest.BodyPublishers.noBody()), 202);
      String location = started.headers().firstValue("Location")
          .orElseThrow(() -> new IOException("no Location in the answer to POST of an upload"));
      URI upload = URI.create(registryUrl + "/").resolve(location);
      String put = upload + (upload.getRawQuery() == null ? "?" : "&") + "digest=" + blob.digest();
      send(HttpRequest.newBuilder(URI.create(put)).header("Content-Type", "application/octet-stream")
          .PUT(HttpRequest.BodyPublishers.ofFile(OciLayouts.blobPath(layout, blob.digest()))), 201);
    }
    Descriptor manifest = image.manifest();
    send(HttpRequest.newBuilder(URI.create(registryUrl + "/v2/" + name + "/manifests/" + tag))
        .header("Content-Type", manifest.mediaType())
        .PUT(HttpRequest.BodyPublishers.ofFile(OciLayouts.blobPath(layout, manifest.digest()))), 201);
  }

  private static HttpResponse<String> send(HttpRequest.Builder request, int expected)
      throws IOException, InterruptedException {
    HttpRequest r = request.timeout(Duration.ofMinutes(1)).build();
    HttpResponse<String> response = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != expected) {
      throw new IOException(r.method() + " " + r.uri() + " answered " + response.statusCode() + ", not " + expected
          + ": " + response.body());
    }
    return response;
  }
}
