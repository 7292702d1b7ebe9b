package io.wharf.proxy.sync;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Reference;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import io.wharf.core.manifest.Manifest;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A hosted repository of this server as the target of a sync. Writes go through the repository's
 * own push path (an upload streamed into storage and verified, a manifest checked for its
 * references), so quotas, write policy, tag history and events apply as to any push. A refusal
 * comes out of the write methods as the repository's
 * {@link io.wharf.core.error.RegistryException}. A blob this repository's storage holds for
 * another image is linked rather than copied.
 */
public final class HostedTarget implements SyncTarget {
  private final HostedRepository repository;

  /**
   * A target writing into {@code repository}.
   *
   * @param repository the hosted repository the rule belongs to
   */
  public HostedTarget(HostedRepository repository) {
    this.repository = repository;
  }

  @Override
  public String describe() {
    return repository.name();
  }

  @Override
  public Optional<Digest> tagged(String name, String tag) throws IOException {
    return repository.getManifest(ImageName.of(name), Tag.of(tag)).map(Manifest::digest);
  }

  @Override
  public boolean hasManifest(String name, Digest digest) throws IOException {
    return repository.getManifest(ImageName.of(name), digest).isPresent();
  }

  @Override
  public boolean hasBlob(String name, Digest digest) throws IOException {
    ImageName image = ImageName.of(name);
    return repository.getBlob(image, digest).isPresent() || repository.linkIfStored(image, digest);
  }

  @Override
  public void putBlob(String name, Digest digest, long size, InputStream body) throws IOException {
    ImageName image = ImageName.of(name);
    UploadSession upload = repository.startUpload(image);
    boolean done = false;
    try {
      repository.finishUpload(image, upload.id(), body, Chunk.STREAMED, digest);
      done = true;
    } finally {
      if (!done) {
        // a blob cut off or refused leaves no upload behind
        try {
          repository.cancelUpload(image, upload.id());
        } catch (RuntimeException | IOException ignored) {
          // already gone (a digest mismatch cancels it)
        }
      }
    }
  }

  @Override
  public void putManifest(String name, String reference, String mediaType, byte[] bytes, Set<Digest> leftOutChildren)
      throws IOException {
    Reference ref = reference.contains(":") ? Digest.parse(reference) : Tag.of(reference);
    repository.putManifest(ImageName.of(name), ref, mediaType, bytes, leftOutChildren);
  }

  @Override
  public Optional<List<String>> tags(String name) throws IOException {
    return new RepositorySource(repository).tags(name); // the same reading of the same repository API
  }

  @Override
  public void deleteTag(String name, String tag) throws IOException {
    repository.deleteManifest(ImageName.of(name), Tag.of(tag));
  }
}
