package io.wharf.proxy.sync;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Reference;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.Blob;
import io.wharf.core.repository.Page;
import io.wharf.core.repository.Repository;
import io.wharf.proxy.ProxyRepository;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import java.util.Optional;

/**
 * Another repository of this server as a sync source (a proxy, so a rule pulls through its
 * cache, or a hosted or group repository), read through the {@link Repository} API. Its catalog
 * is always there, so name globs work; a proxy repository fetches what it has not cached from its
 * upstream, so its failures (and rate limits) are the proxy's.
 */
public final class RepositorySource implements SyncSource {
  private final Repository repository;

  /**
   * A source reading {@code repository}.
   *
   * @param repository the repository to copy from; not the target of the same rule
   */
  public RepositorySource(Repository repository) {
    this.repository = repository;
  }

  @Override
  public String describe() {
    return "repository " + repository.name();
  }

  @Override
  public Optional<List<String>> catalog() throws IOException {
    return Optional.of(repository.catalog(Page.UNLIMITED, null).items());
  }

  @Override
  public Optional<List<String>> tags(String name) throws IOException {
    try {
      return Optional.of(repository.listTags(ImageName.of(name), Page.UNLIMITED, null).items());
    } catch (RegistryException e) {
      if (e.code() == ErrorCode.NAME_UNKNOWN) {
        return Optional.empty();
      }
      throw e;
    }
  }

  @Override
  public Optional<Digest> manifestDigest(String name, String reference) throws IOException {
    return repository.getManifest(ImageName.of(name), reference(reference)).map(m -> m.digest());
  }

  @Override
  public Optional<SourceManifest> manifest(String name, String reference) throws IOException {
    return repository.getManifest(ImageName.of(name), reference(reference))
        .map(m -> new SourceManifest(m.bytes(), m.mediaType(), m.digest()));
  }

  @Override
  public Optional<SourceBlob> blob(String name, Digest digest) throws IOException {
    Optional<Blob> blob = repository.getBlob(ImageName.of(name), digest);
    if (blob.isEmpty()) {
      return Optional.empty();
    }
    SeekableByteChannel channel = blob.get().open();
    return Optional.of(new SourceBlob(Channels.newInputStream(channel), blob.get().descriptor().size(), channel));
  }

  @Override
  public List<Digest> referrers(String name, Digest subject) throws IOException {
    return repository.referrers(ImageName.of(name), subject, null).stream().map(r -> r.descriptor().digest()).toList();
  }

  /**
   * A hosted (or group) repository of this server may hold an index without the children a
   * platforms filter left out when it was synced. A proxy repository serves its upstream's images:
   * a child missing there is a broken image, as from any remote registry.
   *
   * @return {@code false} for a proxy repository, else {@code true}
   */
  @Override
  public boolean holdsPartialIndexes() {
    return !(repository instanceof ProxyRepository);
  }

  private static Reference reference(String reference) {
    return reference.contains(":") ? Digest.parse(reference) : Tag.of(reference);
  }
}
