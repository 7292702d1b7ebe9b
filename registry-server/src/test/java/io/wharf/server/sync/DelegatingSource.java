package io.wharf.server.sync;

import io.wharf.core.model.Digest;
import io.wharf.proxy.sync.SyncSource;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** Passes every call to {@code source}; tests override what they change. */
class DelegatingSource implements SyncSource {
  private final SyncSource source;

  DelegatingSource(SyncSource source) {
    this.source = source;
  }

  @Override
  public String describe() {
    return source.describe();
  }

  @Override
  public Optional<List<String>> catalog() throws IOException {
    return source.catalog();
  }

  @Override
  public Optional<List<String>> tags(String name) throws IOException {
    return source.tags(name);
  }

  @Override
  public Optional<Digest> manifestDigest(String name, String reference) throws IOException {
    return source.manifestDigest(name, reference);
  }

  @Override
  public Optional<SourceManifest> manifest(String name, String reference) throws IOException {
    return source.manifest(name, reference);
  }

  @Override
  public Optional<SourceBlob> blob(String name, Digest digest) throws IOException {
    return source.blob(name, digest);
  }

  @Override
  public List<Digest> referrers(String name, Digest subject) throws IOException {
    return source.referrers(name, subject);
  }

  @Override
  public boolean holdsPartialIndexes() {
    return source.holdsPartialIndexes();
  }
}
