package io.wharf.server.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.repository.HostedRepository;
import io.wharf.proxy.RegistrySource;
import io.wharf.proxy.sync.SyncReport;
import io.wharf.server.WharfServer;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.IOException;
import java.time.Instant;

/**
 * Both ends of an image copy, for the copy engine's tests: a source repository with images built
 * in it ({@link #images}), a destination repository, the report a copy counts into, and a Wharf
 * server on a loopback port serving one of the two, so that end of the copy goes over HTTP (the
 * source for a pull rule's copy, the destination for a push rule's). Close it after each test.
 */
final class CopyFixture implements AutoCloseable {
  /** The end the server serves. */
  enum Served { SOURCE, DESTINATION }

  final HostedRepository source = HostedRepository.builder("source", new InMemoryDriver()).build();
  final HostedRepository destination = HostedRepository.builder("destination", new InMemoryDriver()).build();
  final SourceImages images = new SourceImages(source);
  final SyncReport report = new SyncReport("test", Instant.now());
  final WharfServer server;

  CopyFixture(Served served) throws Exception {
    server = SyncTestServers.serve(served == Served.SOURCE ? source : destination);
  }

  /** A client of the server, with generous timeouts; {@code build()} reads, {@code buildTarget()} writes. */
  RegistrySource.Builder client() {
    return SyncTestServers.client(server.url());
  }

  /** The bytes of the manifest {@code reference} (a tag or a digest) of {@code image} at the destination, or null. */
  byte[] copied(String image, String reference) throws IOException {
    return SourceImages.manifestBytes(destination, image, reference);
  }

  /**
   * Stores {@code blob} of {@code image} at the destination under the same name, as a copy cut
   * off after it leaves it: no manifest, no tag.
   */
  void copiedAlready(String image, Digest blob) throws IOException {
    new SourceImages(destination).blob(image, SourceImages.blobBytes(source, image, blob));
  }

  /** Asserts that every blob of {@code pushed} ({@code image} at the source) is at the destination as {@code copy}. */
  void assertBlobsCopied(SourceImages.Pushed pushed, String image, String copy) throws IOException {
    for (Digest blob : pushed.blobs()) {
      assertThat(SourceImages.blobBytes(destination, copy, blob)).as("%s", blob)
          .isEqualTo(SourceImages.blobBytes(source, image, blob));
    }
  }

  /** Stops the server. */
  @Override
  public void close() throws Exception {
    server.close();
  }
}
