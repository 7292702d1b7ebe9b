package io.wharf.testkit;

import io.wharf.server.routing.Route;

/** Which OCI Distribution API endpoint a request went to (for the journal and for faults). */
public enum Endpoint {
  /** {@code /v2/}: version check and login. */
  BASE,
  /** {@code /v2/_catalog}. */
  CATALOG,
  /** {@code /v2/<name>/tags/list}. */
  TAGS,
  /** {@code /v2/<name>/manifests/<reference>}. */
  MANIFEST,
  /** {@code /v2/<name>/blobs/<digest>}. */
  BLOB,
  /** {@code /v2/<name>/blobs/uploads/}: start an upload (or mount). */
  UPLOADS,
  /** {@code /v2/<name>/blobs/uploads/<id>}: one upload. */
  UPLOAD,
  /** {@code /v2/<name>/referrers/<digest>}. */
  REFERRERS,
  /** {@code /v2/token}: the token endpoint, with authentication on. */
  TOKEN,
  /** Anything else. */
  UNKNOWN,
  /** Every endpoint (for faults). */
  ANY;

  static Endpoint of(Route.Kind kind) {
    try {
      return valueOf(kind.name());
    } catch (IllegalArgumentException e) {
      return UNKNOWN; // a route kind newer than this enum
    }
  }

  boolean covers(Endpoint e) {
    return this == ANY || this == e;
  }
}
