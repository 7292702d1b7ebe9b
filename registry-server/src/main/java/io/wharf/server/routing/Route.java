package io.wharf.server.routing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One parsed request path of the OCI Distribution API, relative to {@code /v2/}.
 *
 * <p>Because an image name contains slashes, the endpoint is recognised by its trailing keyword
 * ({@code /manifests/<ref>}, {@code /blobs/uploads/<id>}, …) and everything before it is the name.
 * The name is not validated here: that is {@link io.wharf.core.model.ImageName}'s job, so that an
 * invalid name gets {@code NAME_INVALID} rather than "no such endpoint".
 *
 * @param kind the endpoint
 * @param name the image name, or {@code null} for {@link Kind#BASE} and {@link Kind#CATALOG}
 * @param argument the reference, digest or upload id, or {@code null}
 */
public record Route(Kind kind, String name, String argument) {

  /** Which endpoint of the API a path names. */
  public enum Kind {
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
    /** {@code /v2/<name>/blobs/uploads/}: start an upload. */
    UPLOADS,
    /** {@code /v2/<name>/blobs/uploads/<id>}: one upload. */
    UPLOAD,
    /** {@code /v2/<name>/referrers/<digest>}. */
    REFERRERS,
    /** Under {@code /v2/} but none of the above. */
    UNKNOWN
  }

  private static final Pattern MANIFEST = Pattern.compile("(.+)/manifests/([^/]+)");
  private static final Pattern UPLOADS = Pattern.compile("(.+)/blobs/uploads/?");
  private static final Pattern UPLOAD = Pattern.compile("(.+)/blobs/uploads/([^/]+)");
  private static final Pattern BLOB = Pattern.compile("(.+)/blobs/([^/]+)");
  private static final Pattern TAGS = Pattern.compile("(.+)/tags/list");
  private static final Pattern REFERRERS = Pattern.compile("(.+)/referrers/([^/]+)");

  /**
   * Parses the part of the path after {@code /v2/} (already percent-decoded), e.g.
   * {@code library/alpine/manifests/latest}.
   *
   * @param path the path after {@code /v2/}; empty for the base endpoint
   * @return the route; {@link Kind#UNKNOWN} for a path that names no endpoint
   */
  public static Route parse(String path) {
    if (path.isEmpty()) {
      return new Route(Kind.BASE, null, null);
    }
    if (path.equals("_catalog")) {
      return new Route(Kind.CATALOG, null, null);
    }
    Matcher m;
    if ((m = MANIFEST.matcher(path)).matches()) {
      return new Route(Kind.MANIFEST, m.group(1), m.group(2));
    }
    if ((m = UPLOADS.matcher(path)).matches()) {
      return new Route(Kind.UPLOADS, m.group(1), null);
    }
    if ((m = UPLOAD.matcher(path)).matches()) {
      return new Route(Kind.UPLOAD, m.group(1), m.group(2));
    }
    if ((m = BLOB.matcher(path)).matches()) {
      return new Route(Kind.BLOB, m.group(1), m.group(2));
    }
    if ((m = TAGS.matcher(path)).matches()) {
      return new Route(Kind.TAGS, m.group(1), null);
    }
    if ((m = REFERRERS.matcher(path)).matches()) {
      return new Route(Kind.REFERRERS, m.group(1), m.group(2));
    }
    return new Route(Kind.UNKNOWN, null, null);
  }
}
