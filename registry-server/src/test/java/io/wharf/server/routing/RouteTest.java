package io.wharf.server.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.routing.Route.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Route#parse}: the endpoint is found by its trailing keyword, everything before it is the
 * image name (not validated here), including names that contain the keywords themselves.
 */
class RouteTest {
  private static final String DIGEST = "sha256:4a5c3b1e7d0f9e8d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d";

  @ParameterizedTest(name = "[{index}] /v2/{0}")
  @CsvSource(nullValues = "-", value = {
      "'', BASE, -, -",
      "_catalog, CATALOG, -, -",
      "alpine/tags/list, TAGS, alpine, -",
      "library/alpine/tags/list, TAGS, library/alpine, -",
      "library/alpine/manifests/3.19, MANIFEST, library/alpine, 3.19",
      "library/alpine/manifests/" + DIGEST + ", MANIFEST, library/alpine, " + DIGEST,
      "a/blobs/" + DIGEST + ", BLOB, a, " + DIGEST,
      "a/b/c/blobs/" + DIGEST + ", BLOB, a/b/c, " + DIGEST,
      "a/blobs/uploads/, UPLOADS, a, -",
      "a/blobs/uploads, UPLOADS, a, -",
      "a/blobs/uploads/0b7c7f4e-1d2a-4bb4-9d0e-3c1c1f9d2a10, UPLOAD, a, 0b7c7f4e-1d2a-4bb4-9d0e-3c1c1f9d2a10",
      "a/referrers/" + DIGEST + ", REFERRERS, a, " + DIGEST,
      // names that contain the keywords
      "team/manifests/app/manifests/latest, MANIFEST, team/manifests/app, latest",
      "x/blobs/uploads/blobs/" + DIGEST + ", BLOB, x/blobs/uploads, " + DIGEST,
      "x/blobs/uploads/blobs/uploads/id1, UPLOAD, x/blobs/uploads, id1",
      "x/blobs/uploads/blobs/uploads/, UPLOADS, x/blobs/uploads, -",
      "tags/list/tags/list, TAGS, tags/list, -",
      "a/manifests/b/blobs/" + DIGEST + ", BLOB, a/manifests/b, " + DIGEST,
      "a/referrers/x/tags/list, TAGS, a/referrers/x, -",
      // not validated here: the endpoints answer NAME_INVALID
      "Upper/Case/manifests/latest, MANIFEST, Upper/Case, latest",
      "a/blobs/not-a-digest, BLOB, a, not-a-digest"})
  void parse_apiPath_kindNameAndArgument(String path, Kind kind, String name, String argument) {
    assertThat(Route.parse(path)).isEqualTo(new Route(kind, name, argument));
  }

  @ParameterizedTest(name = "[{index}] /v2/{0}")
  @CsvSource(value = {
      "alpine",
      "alpine/",
      "alpine/manifests",
      "alpine/manifests/",
      "alpine/manifests/a/b",
      "alpine/tags",
      "alpine/tags/list/",
      "alpine/blobs",
      "alpine/blobs/",
      "alpine/blobs/uploads/id/extra",
      "alpine/referrers/",
      "/manifests/latest",
      "_catalog/x",
      "manifests/latest"})
  void parse_noEndpoint_unknown(String path) {
    assertThat(Route.parse(path).kind()).isEqualTo(Kind.UNKNOWN);
  }
}
