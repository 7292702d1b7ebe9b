package io.wharf.server.metrics;

import io.wharf.server.routing.Route;

/**
 * The {@code handler} label of request metrics: the endpoint group of the OCI Distribution API,
 * named as CNCF distribution names its handlers, so dashboards built for distribution read Wharf.
 * Everything that is not a routed {@code /v2/} request (the token endpoint, the management APIs,
 * health, metrics) is {@link #OTHER}.
 */
enum RouteHandler {
  BASE("base"),
  CATALOG("catalog"),
  TAGS("tags"),
  MANIFEST("manifest"),
  BLOB("blob"),
  BLOB_UPLOAD("blob_upload"),
  BLOB_UPLOAD_CHUNK("blob_upload_chunk"),
  REFERRERS("referrers"),
  OTHER("other");

  private final String label;

  RouteHandler(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /** Whether requests of this handler carry an upload (start, chunk or finish). */
  boolean isUpload() {
    return this == BLOB_UPLOAD || this == BLOB_UPLOAD_CHUNK;
  }

  /** The handler of a route the {@link io.wharf.server.routing.RepositoryRouter} found. */
  public static RouteHandler of(Route.Kind kind) {
    return switch (kind) {
      case BASE -> BASE;
      case CATALOG -> CATALOG;
      case TAGS -> TAGS;
      case MANIFEST -> MANIFEST;
      case BLOB -> BLOB;
      case UPLOADS -> BLOB_UPLOAD;
      case UPLOAD -> BLOB_UPLOAD_CHUNK;
      case REFERRERS -> REFERRERS;
      case UNKNOWN -> OTHER;
    };
  }
}
