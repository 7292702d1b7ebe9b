package io.wharf.proxy.sync;

import io.wharf.core.model.Digest;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * Where a sync reads images: a remote registry ({@link io.wharf.proxy.RegistrySource}) or another
 * repository of this server ({@link RepositorySource}). Names are the source's own image names.
 * "Not there" is {@link Optional#empty()}; a source that cannot answer throws (a
 * {@link RateLimitedException} when it asks us to wait). Nothing a source says is trusted: the
 * copier checks every digest.
 *
 * <p>{@link ImageCopier} and {@link SyncContent} are the callers; wrap a source in a
 * {@link PausingSource} to have rate limits waited out rather than thrown. An implementation for
 * push rules (this server's hosted repository as the source) needs only these seven methods.
 */
public interface SyncSource {

  /**
   * Names the source in reports, failures and log messages.
   *
   * @return a short label, e.g. {@code registry-1.docker.io} or {@code repository docker-hub};
   *     never holds credentials
   */
  String describe();

  /**
   * Lists the source's images, for name globs; literal names do not need it.
   *
   * @return every image name the source lists, or empty if it has no catalog (Docker Hub answers
   *     {@code 401} for it): names must then be literal
   * @throws IOException if the source cannot be reached or answers with an error
   */
  Optional<List<String>> catalog() throws IOException;

  /**
   * Lists the tags of one image, for the tag filters.
   *
   * @param name the image's name at the source, e.g. {@code library/alpine}
   * @return every tag of the image, or empty if the source does not know the image
   * @throws IOException if the source cannot be reached or answers with an error
   */
  Optional<List<String>> tags(String name) throws IOException;

  /**
   * Resolves a tag to the manifest it points at now, from a {@code HEAD} where the source has one:
   * cheap, and Docker Hub does not count it against its pull limit. The copier compares the answer
   * with what the target's tag points at to skip images already there.
   *
   * @param name the image's name at the source
   * @param reference a tag, or a digest in its {@code algorithm:hex} form
   * @return the digest of the manifest {@code reference} names, or empty if the source has none
   * @throws IOException if the source cannot be reached or answers with an error
   */
  Optional<Digest> manifestDigest(String name, String reference) throws IOException;

  /**
   * Fetches a manifest exactly as the source serves it. The copier asks by digest and checks the
   * bytes against it; {@link SyncContent} also asks by tag, to read creation times.
   *
   * @param name the image's name at the source
   * @param reference a tag, or a digest in its {@code algorithm:hex} form
   * @return the manifest's bytes and media type, or empty if the source has no such manifest
   * @throws IOException if the source cannot be reached or answers with an error
   */
  Optional<SourceManifest> manifest(String name, String reference) throws IOException;

  /**
   * Starts reading a blob (a layer or a config). Its bytes are not checked here: the target
   * verifies them against {@code digest} as they stream in.
   *
   * @param name the image's name at the source
   * @param digest the blob's digest
   * @return the open blob, which the caller closes, or empty if the source does not serve it
   * @throws IOException if the source cannot be reached or answers with an error
   */
  Optional<SourceBlob> blob(String name, Digest digest) throws IOException;

  /**
   * Lists what refers to a manifest (signatures, SBOMs, attestations): through the referrers API,
   * or the referrers tag schema ({@code sha256-<hex>}) where the source has no such API. The list
   * is not verified: the copier fetches each entry and keeps it only if its {@code subject} is
   * {@code subject}.
   *
   * @param name the image's name at the source
   * @param subject the digest of the manifest whose referrers are asked for
   * @return the digests of the referrers' manifests, empty if there are none
   * @throws IOException if the source cannot be reached or answers with an error
   */
  List<Digest> referrers(String name, Digest subject) throws IOException;

  /**
   * Tells whether an image index this source serves may lack some of its children on purpose: a
   * repository of this server stores an index synced with a platforms filter byte for byte, without
   * the children the filter left out. The copier then copies the children the source has and
   * passes the target those it lacks as left out. From a source that answers {@code false} (a
   * remote registry, where a missing child is a broken image) an index with a child missing is
   * not copied.
   *
   * @return whether a child of an index may be absent here; {@code false} unless overridden
   */
  default boolean holdsPartialIndexes() {
    return false;
  }

  /**
   * A manifest as the source served it.
   *
   * @param bytes the manifest's exact bytes; its digest is that of these bytes
   * @param mediaType the media type the source gave it (its {@code Content-Type}), or null if none
   * @param statedDigest the digest the source said it has ({@code Docker-Content-Digest}), or null;
   *     not trusted, the copier checks the bytes
   */
  record SourceManifest(byte[] bytes, String mediaType, Digest statedDigest) {}

  /**
   * An open blob at the source; close it (try-with-resources) once read.
   *
   * @param body the blob's bytes as they arrive
   * @param size the blob's size in bytes as the source stated it, or -1 if it did not say
   * @param closer what releases the connection or file behind {@code body}
   */
  record SourceBlob(InputStream body, long size, Closeable closer) implements Closeable {
    /**
     * Releases the connection or file behind the body, read to the end or not.
     *
     * @throws IOException if releasing it fails
     */
    @Override
    public void close() throws IOException {
      closer.close();
    }
  }
}
