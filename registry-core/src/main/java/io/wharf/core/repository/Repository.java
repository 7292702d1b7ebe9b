package io.wharf.core.repository;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.manifest.Manifest;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Reference;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * A Nexus-style repository of images: hosted (you push to it), proxy (a pull-through cache) or
 * group (members read as one). This is the whole OCI Distribution API as Java: the server maps
 * each endpoint onto one method and each {@link io.wharf.core.error.RegistryException} onto an
 * error response.
 *
 * <p>Read operations return {@link Optional#empty()} for "not here"; the server turns that into
 * the right {@code *_UNKNOWN} error. Write operations default to {@code UNSUPPORTED}, so a
 * read-only repository implements only the reads. Implementations are thread-safe.
 */
public interface Repository {

  /** The repository's name, unique in a {@link Registry}. */
  String name();

  RepositoryType type();

  // ---- pull

  /** A manifest by tag or digest. */
  Optional<Manifest> getManifest(ImageName image, Reference reference) throws IOException;

  /** A blob as this image sees it. */
  Optional<Blob> getBlob(ImageName image, Digest digest) throws IOException;

  /**
   * Tags of {@code image}, sorted; {@code NAME_UNKNOWN} if the image does not exist. An image
   * exists once a manifest was pushed to it (and stays, with no tags, after they are deleted);
   * an upload in progress or a blob alone does not make one.
   */
  Page listTags(ImageName image, int n, String last) throws IOException;

  /** Image names in this repository, sorted. */
  Page catalog(int n, String last) throws IOException;

  /** Manifests in {@code image} whose subject is {@code subject}, optionally of one artifact type. */
  default List<Referrer> referrers(ImageName image, Digest subject, String artifactType) throws IOException {
    return List.of();
  }

  // ---- push

  default PushedManifest putManifest(ImageName image, Reference reference, String contentType, byte[] body)
      throws IOException {
    throw unsupported("push");
  }

  default void deleteManifest(ImageName image, Reference reference) throws IOException {
    throw unsupported("delete");
  }

  default void deleteBlob(ImageName image, Digest digest) throws IOException {
    throw unsupported("delete");
  }

  /**
   * Every change of {@code tag} this repository remembers, oldest first (see
   * {@link io.wharf.core.storage.TagHistory}); empty where none is kept.
   */
  default List<TagRevision> tagHistory(ImageName image, io.wharf.core.model.Tag tag) throws IOException {
    return List.of();
  }

  /**
   * Points {@code tag} back at {@code digest}, a manifest the image still holds (an earlier
   * revision of the tag): a rollback in one step, recorded as a {@code restore}.
   */
  default void restoreTag(ImageName image, io.wharf.core.model.Tag tag, Digest digest) throws IOException {
    throw unsupported("push");
  }

  default UploadSession startUpload(ImageName image) throws IOException {
    throw unsupported("push");
  }

  default UploadSession uploadStatus(ImageName image, String uploadId) throws IOException {
    throw ErrorCode.BLOB_UPLOAD_UNKNOWN.exception();
  }

  default UploadSession appendUpload(ImageName image, String uploadId, InputStream body, Chunk chunk)
      throws IOException {
    throw unsupported("push");
  }

  default Descriptor finishUpload(ImageName image, String uploadId, InputStream body, Chunk chunk, Digest digest)
      throws IOException {
    throw unsupported("push");
  }

  default void cancelUpload(ImageName image, String uploadId) throws IOException {
    throw ErrorCode.BLOB_UPLOAD_UNKNOWN.exception();
  }

  /**
   * Makes a blob that {@code from} holds visible in {@code image} without uploading it.
   * Empty if that is not possible (unknown there, or {@code from} is null): the client then uploads.
   */
  default Optional<Descriptor> mountBlob(ImageName image, Digest digest, ImageName from) throws IOException {
    throw unsupported("push");
  }

  private RuntimeException unsupported(String what) {
    return ErrorCode.UNSUPPORTED.exception(
        "repository " + name() + " is a " + type().name().toLowerCase(java.util.Locale.ROOT)
            + " repository and does not accept " + what + " requests");
  }
}
