package io.wharf.core.storage;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The only place that knows storage paths. It follows CNCF distribution's layout exactly, so a
 * data directory written by {@code registry:2} is served by Wharf as it is, and the other way
 * round:
 *
 * <pre>
 * /docker/registry/v2/
 *   blobs/sha256/ab/abcd…/data                       content, stored once (layers, configs, manifests)
 *   repositories/&lt;image name&gt;/
 *     _layers/sha256/&lt;hex&gt;/link                     "sha256:&lt;hex&gt;": the blob is visible in this image
 *     _manifests/revisions/sha256/&lt;hex&gt;/link        the manifest is part of this image
 *     _manifests/tags/&lt;tag&gt;/current/link             the digest the tag points at
 *     _manifests/tags/&lt;tag&gt;/index/sha256/&lt;hex&gt;/link  every digest the tag ever pointed at
 *     _uploads/&lt;id&gt;                                 Wharf: bytes of an upload in progress, one file
 *     _uploads/&lt;id&gt;/{data,startedat,hashstates/…}    distribution's uploads (not resumed by Wharf)
 *     _referrers/&lt;alg&gt;/&lt;subject hex&gt;/&lt;alg&gt;/&lt;referrer hex&gt;/link   Wharf only: the referrers index
 *     _referrers/&lt;alg&gt;/&lt;subject hex&gt;.checked      Wharf only, proxies: when the index was last checked upstream
 *     _history/&lt;tag&gt;/&lt;key&gt;.json                     Wharf only: every change of the tag ({@link TagHistory})
 *   _wharf/                                          Wharf only; distribution never looks here
 *     gc-trash/&lt;alg&gt;-&lt;hex&gt;                           a blob the garbage collector moved aside before deleting it
 *     events/{outbox,dead,audit,lease}/…               events waiting, given up on, kept for the audit (server)
 *     settings/&lt;subject&gt;.json                          changes made through the management API (server)
 *     index-journal/&lt;millis&gt;-&lt;id&gt;                   a hint that an image changed, for other nodes' search indexes (short-lived)
 *     access/[&lt;namespace&gt;/]&lt;image name&gt;/
 *       _tags/&lt;tag&gt;                                 when the tag was last pulled (RFC 3339)
 *       _digests/&lt;alg&gt;/&lt;hex&gt;                        when the manifest was last pulled by digest
 * </pre>
 *
 * <p>A blob is visible in an image only through a link; the bytes under {@code blobs/} are shared
 * by every image and repository on the same storage. Garbage collection removes blobs no link
 * reaches. {@code _referrers} is Wharf's own addition; distribution ignores directories it does
 * not know, so the layout stays readable by it.
 *
 * <p><b>Namespaces.</b> Several Wharf repositories may share one storage (a Nexus "blob store"),
 * sharing the blob bytes but not their images. Each then has a namespace, its repository name,
 * and keeps its images under {@code repositories/<namespace>/<image name>/}: exactly what
 * distribution would store for the image {@code <namespace>/<image name>}, which is also how
 * Wharf's path routing names it ({@code /v2/docker-hosted/team/app}). A repository alone on its
 * storage has no namespace, so its directory is a plain distribution {@code rootdirectory}.
 */
public final class StorageLayout {
  private static final String ROOT = "/docker/registry/v2";
  private static final String BLOBS = ROOT + "/blobs";
  private static final String REPOSITORIES = ROOT + "/repositories";
  private static final String ACCESS = ROOT + "/_wharf/access";
  private static final String GC_TRASH = ROOT + "/_wharf/gc-trash";
  private static final String INDEX_JOURNAL = ROOT + "/_wharf/index-journal";

  private final String imagesRoot;
  private final String accessRoot;

  /** The layout of a repository alone on its storage: distribution's, unchanged. */
  public StorageLayout() {
    this(null);
  }

  /**
   * The layout of a repository that keeps its images under {@code namespace} (null or empty: none).
   *
   * @param namespace the repository's name, or null or empty for a repository alone on its storage
   */
  public StorageLayout(String namespace) {
    boolean none = namespace == null || namespace.isEmpty();
    this.imagesRoot = none ? REPOSITORIES : REPOSITORIES + "/" + namespace;
    this.accessRoot = none ? ACCESS : ACCESS + "/" + namespace;
  }

  /**
   * The directory that holds the images of this layout's repository; the catalog walks it.
   *
   * @return {@code repositories} or {@code repositories/<namespace>}
   */
  public String repositoriesRoot() {
    return imagesRoot;
  }

  /**
   * {@return {@code blobs}: the blob store shared by every repository on the storage, one {@code
   * <alg>/<first two hex>/<hex>/data} per blob}
   */
  public String blobsRoot() {
    return BLOBS;
  }

  /**
   * {@code blobs/<alg>/<first two hex>/<hex>/data}.
   *
   * @param d the blob's digest
   * @return the path of the blob's bytes
   */
  public String blobData(Digest d) {
    return blobDir(d) + "/data";
  }

  /**
   * Where garbage collection keeps {@code d}'s bytes between moving them out of {@code blobs/}
   * and deleting them (or putting them back): {@code _wharf/gc-trash/<alg>-<hex>}. One directory
   * for the whole storage, whatever the namespace, as {@code blobs/} is.
   *
   * @param d the blob's digest
   * @return the path of its trash entry
   */
  public String gcTrash(Digest d) {
    return GC_TRASH + "/" + d.algorithm() + "-" + d.hex();
  }

  /**
   * Where nodes sharing this storage leave short-lived hints that an image changed ({@code
   * <millis>-<id>}, holding the image's directory), so each node's search index re-reads just
   * that image. One directory for the whole storage; hints, never the source of truth.
   *
   * @return the directory of the hints
   */
  public String indexJournalDir() {
    return INDEX_JOURNAL;
  }

  /**
   * The directory of every {@link #gcTrash} entry.
   *
   * @return the directory
   */
  public String gcTrashDir() {
    return GC_TRASH;
  }

  /**
   * The digest a {@link #gcTrash} entry holds, if {@code path} is one.
   *
   * @param path a path under {@link #gcTrashDir()}
   * @return the digest, or empty if the name is not {@code <alg>-<hex>} of a supported algorithm
   */
  public static Optional<Digest> trashedDigest(String path) {
    String name = lastSegment(path);
    int dash = name.indexOf('-');
    return dash < 0 ? Optional.empty() : digest(name.substring(0, dash), name.substring(dash + 1));
  }

  /**
   * The directory of a blob: {@code blobs/<alg>/<first two hex>/<hex>}, which holds its {@code
   * data}.
   *
   * @param d the blob's digest
   * @return the directory's path
   */
  public String blobDir(Digest d) {
    return BLOBS + "/" + d.algorithm() + "/" + d.hex().substring(0, 2) + "/" + d.hex();
  }

  /**
   * The directory of an image: {@code repositories/[<namespace>/]<image name>}.
   *
   * @param image the image
   * @return the directory's path
   */
  public String imageRoot(ImageName image) {
    return imagesRoot + "/" + image.value();
  }

  /**
   * The link that makes blob {@code d} visible in {@code image}: {@code
   * <image>/_layers/<alg>/<hex>/link}.
   *
   * @param image the image
   * @param d the blob's digest
   * @return the link's path
   */
  public String layerLink(ImageName image, Digest d) {
    return layerDir(image, d) + "/link";
  }

  /**
   * The directory of a layer link ({@link #layerLink}), deleted to unlink the blob from the image.
   *
   * @param image the image
   * @param d the blob's digest
   * @return the directory's path
   */
  public String layerDir(ImageName image, Digest d) {
    return layersDir(image) + "/" + d.algorithm() + "/" + d.hex();
  }

  /**
   * {@code <image>/_layers}: one {@code <alg>/<hex>/link} per blob visible in the image.
   *
   * @param image the image
   * @return the directory's path
   */
  public String layersDir(ImageName image) {
    return imageRoot(image) + "/_layers";
  }

  /**
   * The link that makes manifest {@code d} part of {@code image}: {@code
   * <image>/_manifests/revisions/<alg>/<hex>/link}.
   *
   * @param image the image
   * @param d the manifest's digest
   * @return the link's path
   */
  public String manifestRevisionLink(ImageName image, Digest d) {
    return manifestRevisionsDir(image) + "/" + d.algorithm() + "/" + d.hex() + "/link";
  }

  /**
   * The directory of a manifest revision link ({@link #manifestRevisionLink}), deleted to delete
   * the manifest from the image.
   *
   * @param image the image
   * @param d the manifest's digest
   * @return the directory's path
   */
  public String manifestRevisionDir(ImageName image, Digest d) {
    return manifestRevisionsDir(image) + "/" + d.algorithm() + "/" + d.hex();
  }

  /**
   * {@code <image>/_manifests}: written with the image's first manifest and kept when its
   * manifests and tags are deleted. Its presence is what makes a name an image for the tags
   * listing; uploads ({@code _uploads}) and layer links ({@code _layers}) alone do not.
   *
   * @param image the image
   * @return the directory's path
   */
  public String manifestsDir(ImageName image) {
    return imageRoot(image) + "/_manifests";
  }

  /**
   * {@code <image>/_manifests/revisions}: one {@code <alg>/<hex>/link} per manifest of the image.
   *
   * @param image the image
   * @return the directory's path
   */
  public String manifestRevisionsDir(ImageName image) {
    return manifestsDir(image) + "/revisions";
  }

  /**
   * {@code <image>/_manifests/tags}: one directory per tag of the image.
   *
   * @param image the image
   * @return the directory's path
   */
  public String tagsDir(ImageName image) {
    return manifestsDir(image) + "/tags";
  }

  /**
   * {@code <image>/_manifests/tags/<tag>}: the tag's current link and index; deleted to delete the
   * tag.
   *
   * @param image the image
   * @param tag the tag
   * @return the directory's path
   */
  public String tagDir(ImageName image, Tag tag) {
    return tagsDir(image) + "/" + tag.value();
  }

  /**
   * The link holding the digest {@code tag} points at: {@code
   * <image>/_manifests/tags/<tag>/current/link}.
   *
   * @param image the image
   * @param tag the tag
   * @return the link's path
   */
  public String tagCurrentLink(ImageName image, Tag tag) {
    return tagDir(image, tag) + "/current/link";
  }

  /**
   * The link recording that {@code tag} once pointed at {@code d}: {@code <tag
   * dir>/index/<alg>/<hex>/link}.
   *
   * @param image the image
   * @param tag the tag
   * @param d a digest the tag pointed at
   * @return the link's path
   */
  public String tagIndexLink(ImageName image, Tag tag, Digest d) {
    return tagDir(image, tag) + "/index/" + d.algorithm() + "/" + d.hex() + "/link";
  }

  /**
   * {@code <image>/_uploads}: the uploads in progress into the image.
   *
   * @param image the image
   * @return the directory's path
   */
  public String uploadsDir(ImageName image) {
    return imageRoot(image) + "/_uploads";
  }

  /**
   * The bytes of an upload in progress: a single file, moved into {@code blobs/} when it finishes.
   *
   * @param image the image the blob is uploaded into
   * @param uploadId the upload's id
   * @return the file's path
   */
  public String uploadData(ImageName image, String uploadId) {
    return uploadsDir(image) + "/" + uploadId;
  }

  /**
   * Directory of the referrers of {@code subject}: one {@code <alg>/<hex>/link} per referrer.
   *
   * @param image the image
   * @param subject the digest of the manifest the referrers refer to
   * @return the directory's path
   */
  public String referrersDir(ImageName image, Digest subject) {
    return imageRoot(image) + "/_referrers/" + subject.algorithm() + "/" + subject.hex();
  }

  /**
   * The directory of one referrer's link ({@link #referrerLink}), deleted to drop it from the
   * index.
   *
   * @param image the image
   * @param subject the digest of the manifest referred to
   * @param referrer the digest of the referring manifest
   * @return the directory's path
   */
  public String referrerDir(ImageName image, Digest subject, Digest referrer) {
    return referrersDir(image, subject) + "/" + referrer.algorithm() + "/" + referrer.hex();
  }

  /**
   * The link recording that manifest {@code referrer} refers to {@code subject}: {@code
   * <image>/_referrers/<alg>/<subject hex>/<alg>/<referrer hex>/link}.
   *
   * @param image the image
   * @param subject the digest of the manifest referred to
   * @param referrer the digest of the referring manifest
   * @return the link's path
   */
  public String referrerLink(ImageName image, Digest subject, Digest referrer) {
    return referrerDir(image, subject, referrer) + "/link";
  }

  /**
   * A proxy's record of when it last made the referrers index of {@code subject} match its
   * upstream's answer (an ISO-8601 instant): beside the index directory, not in it, so listing
   * the index never sees it.
   *
   * @param image the image
   * @param subject the digest of the manifest referred to
   * @return the file's path
   */
  public String referrersChecked(ImageName image, Digest subject) {
    return referrersDir(image, subject) + ".checked";
  }

  /**
   * Where {@code io.wharf.core.lifecycle.AccessLog} keeps when {@code image:tag} was last pulled.
   * {@code _tags} and {@code _digests} start with {@code _}, which no image name component does, so
   * nested image names ({@code team/app}, {@code team/app/tools}) never collide.
   *
   * @param image the image
   * @param tag the tag
   * @return the record's path
   */
  public String accessTagRecord(ImageName image, Tag tag) {
    return accessRoot + "/" + image.value() + "/_tags/" + tag.value();
  }

  /**
   * Where {@code io.wharf.core.lifecycle.AccessLog} keeps when {@code image@digest} was last
   * pulled.
   *
   * @param image the image
   * @param d the manifest's digest
   * @return the record's path
   */
  public String accessDigestRecord(ImageName image, Digest d) {
    return accessRoot + "/" + image.value() + "/_digests/" + d.algorithm() + "/" + d.hex();
  }

  /**
   * The digests named by the {@code <dir>/<alg>/<hex>} directories under {@code dir} (revisions,
   * referrers), skipping entries that are no digest of a supported algorithm (stray files).
   *
   * @param driver the storage
   * @param dir the directory to list
   * @return the digests, in the driver's listing order
   * @throws IOException if the storage fails
   */
  public static List<Digest> digestsUnder(StorageDriver driver, String dir) throws IOException {
    List<Digest> out = new ArrayList<>();
    for (String algDir : driver.list(dir)) {
      String alg = lastSegment(algDir);
      for (String hexDir : driver.list(algDir)) {
        digest(alg, lastSegment(hexDir)).ifPresent(out::add);
      }
    }
    return out;
  }

  /**
   * The digest a link file names ({@code "sha256:<hex>"}, trailing whitespace allowed); empty if
   * there is no such file or it holds no digest (torn, or written by another tool).
   *
   * @param driver the storage
   * @param path the link file's path
   * @return the digest, or empty
   * @throws IOException if the storage fails
   */
  public static Optional<Digest> readLink(StorageDriver driver, String path) throws IOException {
    Optional<byte[]> content = driver.getContent(path);
    if (content.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Digest.parse(new String(content.get(), StandardCharsets.US_ASCII).trim()));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The digest a storage directory names, if it is one of a supported algorithm.
   *
   * @param algorithm the algorithm directory's name, e.g. {@code sha256}
   * @param hex the hex directory's name
   * @return the digest, or empty if the names are no digest of a supported algorithm
   */
  public static Optional<Digest> digest(String algorithm, String hex) {
    if (!Digest.isSupportedAlgorithm(algorithm)) {
      return Optional.empty();
    }
    try {
      // The constant, not the listed segment: one algorithm string for every digest read back.
      return Optional.of(new Digest(Digest.SHA256.equals(algorithm) ? Digest.SHA256 : Digest.SHA512, hex));
    } catch (RuntimeException e) {
      return Optional.empty(); // not a digest directory (a stray file, a temp name)
    }
  }

  /**
   * The last segment of a path.
   *
   * @param path a storage path, e.g. {@code /a/b/c}
   * @return what follows its last {@code /}, e.g. {@code c}
   */
  public static String lastSegment(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }
}
