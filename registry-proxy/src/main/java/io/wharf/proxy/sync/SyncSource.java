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
 */
public interface SyncSource {

  /** For reports and messages, e.g. {@code registry-1.docker.io}; never holds credentials. */
  String describe();

  /** Every image name, or empty if the source has no catalog (Docker Hub): names must then be literal. */
  Optional<List<String>> catalog() throws IOException;

  /** Every tag of {@code name}; empty if the source does not know the image. */
  Optional<List<String>> tags(String name) throws IOException;

  /**
   * The digest {@code reference} names now, from a {@code HEAD} where the source has one: cheap,
   * and Docker Hub does not count it against its pull limit. Empty if unknown.
   */
  Optional<Digest> manifestDigest(String name, String reference) throws IOException;

  /** A manifest's exact bytes and media type; empty if unknown. */
  Optional<SourceManifest> manifest(String name, String reference) throws IOException;

  /** Starts reading a blob; empty if unknown. The caller closes it. */
  Optional<SourceBlob> blob(String name, Digest digest) throws IOException;

  /** The digests the source lists as referrers of {@code subject} (unverified). */
  List<Digest> referrers(String name, Digest subject) throws IOException;

  /** A manifest as the source served it. {@code statedDigest} is what the source said it is, or null. */
  record SourceManifest(byte[] bytes, String mediaType, Digest statedDigest) {}

  /** An open blob; {@code size} is -1 if the source did not say. */
  record SourceBlob(InputStream body, long size, Closeable closer) implements Closeable {
    @Override
    public void close() throws IOException {
      closer.close();
    }
  }
}
