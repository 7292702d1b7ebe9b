package io.wharf.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A plain HTTP client for the tests that talk to a registry by hand. */
final class Http {
  static final String ACCEPT_MANIFESTS = String.join(",",
      "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.docker.distribution.manifest.v2+json");

  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Http() {}

  static HttpResponse<byte[]> get(URI base, String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).header("Accept", ACCEPT_MANIFESTS).GET().build());
  }

  static HttpResponse<byte[]> head(URI base, String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).header("Accept", ACCEPT_MANIFESTS)
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
  }

  static HttpResponse<byte[]> send(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
