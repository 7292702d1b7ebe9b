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

  /** {@return the repository's name, unique in a {@link Registry}} */
  String name();

  /** {@return whether this is a hosted repository, a proxy or a group} */
  RepositoryType type();

  // ---- pull

  /**
   * A manifest by tag or digest.
   *
   * @param image the image
   * @param reference a tag, or a digest
   * @return the manifest, or empty if the image has none by that reference
   * @throws IOException if storage (or, for a proxy, the upstream) fails
   */
  Optional<Manifest> getManifest(ImageName image, Reference reference) throws IOException;

  /**
   * A blob as this image sees it: only a blob linked into the image is found, even if its bytes
   * are stored for another image.
   *
   * @param image the image
   * @param digest the blob's digest
   * @return the blob, or empty if the image has no such blob
   * @throws IOException if storage (or, for a proxy, the upstream) fails
   */
  Optional<Blob> getBlob(ImageName image, Digest digest) throws IOException;

  /**
   * Tags of {@code image}, sorted; {@code NAME_UNKNOWN} if the image does not exist. An image
   * exists once a manifest was pushed to it (and stays, with no tags, after they are deleted);
   * an upload in progress or a blob alone does not make one.
   *
   * @param image the image
   * @param n at most this many tags, or {@link Page#UNLIMITED}
   * @param last list the tags after this one, or null to start at the first
   * @return one page of tags
   * @throws io.wharf.core.error.RegistryException {@code NAME_UNKNOWN} if the image does not exist
   * @throws IOException if storage (or, for a proxy, the upstream) fails
   */
  Page listTags(ImageName image, int n, String last) throws IOException;

  /**
   * Image names in this repository, sorted.
   *
   * @param n at most this many names, or {@link Page#UNLIMITED}
   * @param last list the names after this one, or null to start at the first
   * @return one page of image names
   * @throws IOException if storage fails
   */
  Page catalog(int n, String last) throws IOException;

  /**
   * Manifests in {@code image} whose subject is {@code subject}, optionally of one artifact type.
   * Empty by default, for repositories that keep no referrers.
   *
   * @param image the image
   * @param subject the digest of the manifest they refer to
   * @param artifactType only referrers of this artifact type, or null for all
   * @return the referrers, empty if none
   * @throws IOException if storage (or, for a proxy, the upstream) fails
   */
  default List<Referrer> referrers(ImageName image, Digest subject, String artifactType) throws IOException {
    return List.of();
  }

  // ---- push

  /**
   * Stores a manifest, and points a tag at it when pushed by tag. The blobs and child manifests
   * it references must already be in the image.
   *
   * @param image the image
   * @param reference the tag to point at it, or its digest (which must match the body)
   * @param contentType the request's {@code Content-Type}, or null to go by the body
   * @param body the manifest exactly as sent; its digest is that of these bytes
   * @return the stored manifest's descriptor and subject
   * @throws io.wharf.core.error.RegistryException {@code MANIFEST_INVALID}, {@code DIGEST_INVALID},
   *     {@code MANIFEST_BLOB_UNKNOWN}, {@code DENIED} (write policy) and others; {@code
   * UNSUPPORTED}
   *     by default
   * @throws IOException if storage fails
   */
  default PushedManifest putManifest(ImageName image, Reference reference, String contentType, byte[] body)
      throws IOException {
    throw unsupported("push");
  }

  /**
   * Deletes a tag (by tag) or a manifest and the tags pointing at it (by digest). The bytes stay
   * until garbage collection.
   *
   * @param image the image
   * @param reference a tag, or a manifest's digest
   * @throws io.wharf.core.error.RegistryException {@code MANIFEST_UNKNOWN} if there is no such
   *     manifest or tag; {@code UNSUPPORTED} by default
   * @throws IOException if storage fails
   */
  default void deleteManifest(ImageName image, Reference reference) throws IOException {
    throw unsupported("delete");
  }

  /**
   * Unlinks a blob from an image. The bytes stay until garbage collection.
   *
   * @param image the image
   * @param digest the blob's digest
   * @throws io.wharf.core.error.RegistryException {@code BLOB_UNKNOWN} if the image has no such
   *     blob; {@code UNSUPPORTED} by default
   * @throws IOException if storage fails
   */
  default void deleteBlob(ImageName image, Digest digest) throws IOException {
    throw unsupported("delete");
  }

  /**
   * Every change of {@code tag} this repository remembers, oldest first (see
   * {@link io.wharf.core.storage.TagHistory}); empty where none is kept.
   *
   * @param image the image
   * @param tag the tag
   * @return the tag's revisions, oldest first
   * @throws IOException if storage fails
   */
  default List<TagRevision> tagHistory(ImageName image, io.wharf.core.model.Tag tag) throws IOException {
    return List.of();
  }

  /**
   * Points {@code tag} back at {@code digest}, a manifest the image still holds (an earlier
   * revision of the tag): a rollback in one step, recorded as a {@code restore}.
   *
   * @param image the image
   * @param tag the tag to move
   * @param digest the manifest it should point at
   * @throws io.wharf.core.error.RegistryException {@code MANIFEST_UNKNOWN} if the image does not
   *     hold that manifest; {@code UNSUPPORTED} by default
   * @throws IOException if storage fails
   */
  default void restoreTag(ImageName image, io.wharf.core.model.Tag tag, Digest digest) throws IOException {
    throw unsupported("push");
  }

  /**
   * Starts a blob upload into {@code image} (a {@code POST .../blobs/uploads/}).
   *
   * @param image the image the blob is for
   * @return the new upload, empty
   * @throws io.wharf.core.error.RegistryException {@code DENIED} (write policy), {@code
   *     STORAGE_FULL};
   *     {@code UNSUPPORTED} by default
   * @throws IOException if storage fails
   */
  default UploadSession startUpload(ImageName image) throws IOException {
    throw unsupported("push");
  }

  /**
   * The state of an upload in progress (a {@code GET} of its location).
   *
   * @param image the image the blob is for
   * @param uploadId the upload's id
   * @return the upload, with the bytes it holds so far
   * @throws io.wharf.core.error.RegistryException {@code BLOB_UPLOAD_UNKNOWN} if there is no such
   *     upload
   * @throws IOException if storage fails
   */
  default UploadSession uploadStatus(ImageName image, String uploadId) throws IOException {
    throw ErrorCode.BLOB_UPLOAD_UNKNOWN.exception();
  }

  /**
   * Appends a chunk to an upload (a {@code PATCH}).
   *
   * @param image the image the blob is for
   * @param uploadId the upload's id
   * @param body the chunk's bytes; read to its end
   * @param chunk where the client says the chunk goes, and how long it is
   * @return the upload, with the bytes it holds now
   * @throws io.wharf.core.error.RegistryException {@code BLOB_UPLOAD_UNKNOWN}, {@code
   *     RANGE_INVALID}
   *     (a chunk not at the upload's end), {@code STORAGE_FULL}; {@code UNSUPPORTED} by default
   * @throws IOException if storage or reading the body fails
   */
  default UploadSession appendUpload(ImageName image, String uploadId, InputStream body, Chunk chunk)
      throws IOException {
    throw unsupported("push");
  }

  /**
   * Appends a last chunk (possibly empty) and completes the upload (a {@code PUT} with the
   * digest): the blob is stored and linked into the image if its bytes hash to {@code digest}.
   *
   * @param image the image the blob is for
   * @param uploadId the upload's id
   * @param body the last chunk's bytes, possibly none; read to its end
   * @param chunk where the client says the chunk goes, and how long it is
   * @param digest the digest the client says the whole blob has
   * @return the stored blob
   * @throws io.wharf.core.error.RegistryException {@code DIGEST_INVALID} if the bytes do not match,
   *     {@code BLOB_UPLOAD_UNKNOWN}, {@code STORAGE_FULL}; {@code UNSUPPORTED} by default
   * @throws IOException if storage or reading the body fails
   */
  default Descriptor finishUpload(ImageName image, String uploadId, InputStream body, Chunk chunk, Digest digest)
      throws IOException {
    throw unsupported("push");
  }

  /**
   * Cancels an upload and deletes its bytes (a {@code DELETE} of its location).
   *
   * @param image the image the blob is for
   * @param uploadId the upload's id
   * @throws io.wharf.core.error.RegistryException {@code BLOB_UPLOAD_UNKNOWN} if there is no such
   *     upload
   * @throws IOException if storage fails
   */
  default void cancelUpload(ImageName image, String uploadId) throws IOException {
    throw ErrorCode.BLOB_UPLOAD_UNKNOWN.exception();
  }

  /**
   * Makes a blob that {@code from} holds visible in {@code image} without uploading it.
   * Empty if that is not possible (unknown there, or {@code from} is null): the client then uploads.
   *
   * @param image the image to link the blob into
   * @param digest the blob's digest
   * @param from the image that holds it, or null (the client named none)
   * @return the blob, or empty if it was not mounted
   * @throws io.wharf.core.error.RegistryException {@code UNSUPPORTED} by default
   * @throws IOException if storage fails
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
