package io.wharf.server.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.repository.HostedRepository;
import io.wharf.proxy.RegistrySource;
import io.wharf.proxy.sync.HostedTarget;
import io.wharf.proxy.sync.ImageCopier;
import io.wharf.proxy.sync.Platform;
import io.wharf.proxy.sync.RepositorySource;
import io.wharf.server.WharfServer;
import io.wharf.storage.memory.InMemoryDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The copy engine between a real Wharf server (the source, over HTTP through the proxy's client)
 * and a hosted repository: {@link CopyScenarios}, and platforms filtered, an unknown tag.
 */
class ImageCopierTest extends CopyScenarios {
  RegistrySource source;

  ImageCopierTest() {
    super(CopyFixture.Served.SOURCE);
  }

  @BeforeEach
  void openSource() {
    source = ends.client().build();
  }

  @AfterEach
  void closeSource() throws Exception {
    source.close();
  }

  @Override
  ImageCopier copier() {
    return new ImageCopier(source, new HostedTarget(ends.destination), ends.report);
  }

  static ImageCopier.Options platforms(String... p) {
    return new ImageCopier.Options(java.util.Arrays.stream(p).map(Platform::parse).toList(), false);
  }

  @Test
  void copyTag_platformsFiltered_indexKeepsItsDigest_leftOutChildIsNotCopied() throws Exception {
    SourceImages.MultiArch multi = ends.images.multiArch("team/multi", "2.0");

    copier().copyTag("team/multi", "2.0", "team/multi", platforms("linux/amd64"));

    assertThat(ends.copied("team/multi", "2.0")).isEqualTo(multi.index().bytes());
    assertThat(ends.copied("team/multi", multi.amd64().digest().value())).isEqualTo(multi.amd64().bytes());
    assertThat(ends.copied("team/multi", multi.arm64().digest().value())).isNull();
    for (Digest blob : multi.arm64().blobs()) {
      assertThat(ends.destination.getBlob(ImageName.of("team/multi"), blob)).isEmpty();
    }
  }

  @Test
  void copyTag_unknownTag_throwsNotFound() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> copier().copyTag("team/none", "1", "team/none",
        ImageCopier.Options.ALL)).isInstanceOf(ImageCopier.NotFoundException.class).hasMessageContaining("team/none:1");
  }

  @Test
  void copyTag_indexHeldWithoutAChild_fromARemote_fails_fromARepository_isCopiedAsItIs() throws Exception {
    SourceImages.MultiArch multi = ends.images.multiArch("team/multi", "2.0");
    HostedRepository partial = HostedRepository.builder("partial", new InMemoryDriver()).build();
    new ImageCopier(new RepositorySource(ends.source), new HostedTarget(partial), ends.report)
        .copyTag("team/multi", "2.0", "team/multi", platforms("linux/amd64"));

    // a remote registry serving an index without a child: a broken image, not copied
    WharfServer partialServer = SyncTestServers.serve(partial);
    try (RegistrySource remote = SyncTestServers.source(partialServer)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ImageCopier(remote,
          new HostedTarget(ends.destination), ends.report).copyTag("team/multi", "2.0", "team/multi",
          ImageCopier.Options.ALL))
          .isInstanceOf(ImageCopier.NotFoundException.class).hasMessageContaining(multi.arm64().digest().value());
    } finally {
      partialServer.close();
    }
    assertThat(ends.copied("team/multi", "2.0")).isNull();

    // a repository of this server holds it so on purpose: what it has is copied, the index as it is
    assertThat(new ImageCopier(new RepositorySource(partial), new HostedTarget(ends.destination), ends.report)
        .copyTag("team/multi", "2.0", "team/multi", ImageCopier.Options.ALL)).isTrue();
    assertThat(ends.copied("team/multi", "2.0")).isEqualTo(multi.index().bytes());
    assertThat(ends.copied("team/multi", multi.amd64().digest().value())).isEqualTo(multi.amd64().bytes());
    assertThat(ends.copied("team/multi", multi.arm64().digest().value())).isNull();
  }
}
