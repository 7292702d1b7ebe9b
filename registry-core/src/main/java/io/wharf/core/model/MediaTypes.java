package io.wharf.core.model;

import java.util.Locale;
import java.util.Set;

/** The media types Wharf knows by name. Anything else is carried through as an opaque string. */
public final class MediaTypes {
  /** OCI image manifest. */
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  /** OCI image index: a manifest of manifests, one per platform. */
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  /** OCI image config. */
  public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  /** OCI layer, a gzipped tar. */
  public static final String OCI_LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  /** OCI's empty descriptor ({@code {}}), the config of artifacts that have none. */
  public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
  /** Docker image manifest, schema 2. */
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  /** Docker manifest list, schema 2: Docker's index. */
  public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  /** Docker image config. */
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
  /** Docker layer, a gzipped tar. */
  public static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";
  /** Docker schema 1 manifest (deprecated; not accepted on push). */
  public static final String DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json";
  /** Docker schema 1 signed manifest (deprecated; not accepted on push). */
  public static final String DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";
  /** Bytes of unknown type: what a blob is served as when nothing says otherwise. */
  public static final String OCTET_STREAM = "application/octet-stream";
  /** JSON, as API responses other than manifests are. */
  public static final String JSON = "application/json";

  /** Image manifests: have a config and layers. */
  public static final Set<String> IMAGE_MANIFESTS = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);
  /** Indexes: have child manifests. */
  public static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);

  private MediaTypes() {}

  /**
   * The media type without parameters, lower-cased; {@code null} stays {@code null}.
   *
   * @param contentType a {@code Content-Type} or media type, possibly with parameters
   * @return its base type, or {@code null}
   */
  public static String base(String contentType) {
    if (contentType == null) {
      return null;
    }
    int semi = contentType.indexOf(';');
    String t = (semi >= 0 ? contentType.substring(0, semi) : contentType).trim();
    return t.isEmpty() ? null : t.toLowerCase(Locale.ROOT);
  }

  /**
   * {@return true for the media types of image manifests and indexes Wharf parses}
   *
   * @param mediaType a media type without parameters
   */
  public static boolean isManifestType(String mediaType) {
    return IMAGE_MANIFESTS.contains(mediaType) || INDEXES.contains(mediaType);
  }
}
