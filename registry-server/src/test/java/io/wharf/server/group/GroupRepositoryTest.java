package io.wharf.server.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.manifest.Manifest;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.model.Reference;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.Blob;
import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Page;
import io.wharf.core.repository.Referrer;
import io.wharf.core.repository.Repository;
import io.wharf.core.repository.RepositoryType;
import io.wharf.core.repository.Warnings;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Group resolution over real hosted repositories, plus one hand-written failing member. */
class GroupRepositoryTest {
  static final ImageName APP = ImageName.of("team/app");

  /** A member whose upstream is down: the narrow seam a real proxy would need a network for. */
  static final class DownMember implements Repository {
    @Override
    public String name() {
      return "down";
    }

    @Override
    public RepositoryType type() {
      return RepositoryType.PROXY;
    }

    private RegistryException down() {
      return ErrorCode.UNAVAILABLE.exception("upstream unreachable: connection refused");
    }

    @Override
    public Optional<Manifest> getManifest(ImageName image, Reference reference) {
      throw down();
    }

    @Override
    public Optional<Blob> getBlob(ImageName image, Digest digest) {
      throw down();
    }

    @Override
    public Page listTags(ImageName image, int n, String last) {
      throw down();
    }

    @Override
    public Page catalog(int n, String last) {
      return Page.of(List.of(), n, last);
    }

    @Override
    public List<Referrer> referrers(ImageName image, Digest subject, String artifactType) {
      throw down();
    }
  }

  static byte[] pushBlob(Repository repo, ImageName image, String content) throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    UploadSession s = repo.startUpload(image);
    repo.finishUpload(image, s.id(), new ByteArrayInputStream(bytes), Chunk.ofLength(bytes.length), Digest.sha256(bytes));
    return bytes;
  }

  /** Pushes config + one layer + manifest; returns the manifest bytes. */
  static byte[] pushImage(Repository repo, ImageName image, String tag, String seed) throws IOException {
    byte[] config = pushBlob(repo, image, "{\"config\":\"" + seed + "\"}");
    byte[] layer = pushBlob(repo, image, "layer " + seed);
    byte[] manifest = manifest(config, layer);
    repo.putManifest(image, Tag.of(tag), MediaTypes.OCI_MANIFEST, manifest);
    return manifest;
  }

  static byte[] manifest(byte[] config, byte[] layer) {
    return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(config) + "\",\"size\":" + config.length
        + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR_GZIP + "\",\"digest\":\"" + Digest.sha256(layer)
        + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
  }

  static HostedRepository hosted(String name, StorageDriver driver) {
    return HostedRepository.builder(name, driver).build();
  }

  @Test
  void getManifest_firstMemberThatHasItWins() throws IOException {
    HostedRepository a = hosted("a", new InMemoryDriver());
    HostedRepository b = hosted("b", new InMemoryDriver());
    byte[] fromA = pushImage(a, APP, "1.0", "a");
    pushImage(b, APP, "1.0", "b");
    byte[] onlyB = pushImage(b, APP, "2.0", "b2");
    GroupRepository group = new GroupRepository("all", List.of(a, b), null);

    assertThat(group.getManifest(APP, Tag.of("1.0")).orElseThrow().bytes()).isEqualTo(fromA);
    assertThat(group.getManifest(APP, Tag.of("2.0")).orElseThrow().bytes()).isEqualTo(onlyB);
    assertThat(group.getManifest(APP, Tag.of("3.0"))).isEmpty();
  }

  @Test
  void failingMember_doesNotBreakTheGroupWhenALaterMemberHasIt() throws IOException {
    HostedRepository b = hosted("b", new InMemoryDriver());
    byte[] m = pushImage(b, APP, "1.0", "b");
    GroupRepository group = new GroupRepository("all", List.of(new DownMember(), b), null);

    assertThat(group.getManifest(APP, Tag.of("1.0")).orElseThrow().bytes()).isEqualTo(m);
    assertThat(group.listTags(APP, -1, null).items()).containsExactly("1.0");
  }

  @Test
  void nobodyHasIt_andAMemberFailed_errorNamesEveryMemberAndWhy() throws IOException {
    HostedRepository b = hosted("b", new InMemoryDriver());
    GroupRepository group = new GroupRepository("all", List.of(new DownMember(), b), null);

    assertThatThrownBy(() -> group.getManifest(APP, Tag.of("1.0")))
        .isInstanceOfSatisfying(RegistryException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
          assertThat(e.getMessage()).contains("down: upstream unreachable").contains("b: not found");
          assertThat(e.detail()).isEqualTo(Map.of("members",
              Map.of("down", "upstream unreachable: connection refused", "b", "not found")));
        });
  }

  @Test
  void listTags_isTheSortedUnionWithPagination() throws IOException {
    HostedRepository a = hosted("a", new InMemoryDriver());
    HostedRepository b = hosted("b", new InMemoryDriver());
    pushImage(a, APP, "b", "1");
    pushImage(a, APP, "d", "2");
    pushImage(b, APP, "a", "3");
    pushImage(b, APP, "c", "4");
    pushImage(b, APP, "d", "5");
    GroupRepository group = new GroupRepository("all", List.of(a, b), null);

    Page first = group.listTags(APP, 2, null);
    assertThat(first.items()).containsExactly("a", "b");
    assertThat(first.hasMore()).isTrue();
    Page second = group.listTags(APP, 2, "b");
    assertThat(second.items()).containsExactly("c", "d");
    assertThat(second.hasMore()).isFalse();
    assertThatThrownBy(() -> group.listTags(ImageName.of("nope"), -1, null))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NAME_UNKNOWN));
  }

  @Test
  void catalog_isTheSortedUnion() throws IOException {
    HostedRepository a = hosted("a", new InMemoryDriver());
    HostedRepository b = hosted("b", new InMemoryDriver());
    pushImage(a, ImageName.of("zeta"), "1", "1");
    pushImage(b, ImageName.of("alpha"), "1", "2");
    pushImage(b, ImageName.of("zeta"), "2", "3");

    assertThat(new GroupRepository("all", List.of(a, b), null).catalog(-1, null).items()).containsExactly("alpha", "zeta");
  }

  @Test
  void blob_isLookedUpFirstInTheMemberThatServedTheManifest() throws IOException {
    HostedRepository a = hosted("a", new InMemoryDriver());
    HostedRepository b = hosted("b", new InMemoryDriver());
    byte[] layer = pushBlob(b, APP, "shared layer");
    pushImage(b, APP, "1.0", "b");
    GroupRepository group = new GroupRepository("all", List.of(a, b), null);

    group.getManifest(APP, Tag.of("1.0")).orElseThrow();
    assertThat(group.getBlob(APP, Digest.sha256(layer))).isPresent();
  }

  @Test
  void push_withoutWritableMember_isUnsupported() {
    GroupRepository group = new GroupRepository("all", List.of(hosted("a", new InMemoryDriver())), null);

    assertThatThrownBy(() -> group.startUpload(APP))
        .isInstanceOfSatisfying(RegistryException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED);
          assertThat(e.getMessage()).contains("no writable member");
        });
  }

  @Test
  void push_throughGroup_landsInTheWritableMember() throws IOException {
    HostedRepository hostedMember = hosted("hosted", new InMemoryDriver());
    HostedRepository other = hosted("other", new InMemoryDriver());
    GroupRepository group = new GroupRepository("all", List.of(hostedMember, other), hostedMember);

    byte[] m = pushImage(group, APP, "1.0", "g");

    assertThat(hostedMember.getManifest(APP, Tag.of("1.0")).orElseThrow().bytes()).isEqualTo(m);
    assertThat(other.getManifest(APP, Tag.of("1.0"))).isEmpty();
  }

  @Test
  void push_skippingBlobsAnotherMemberHas_copiesThemFromThatMember() throws IOException {
    HostedRepository hostedMember = hosted("hosted", new InMemoryDriver());
    HostedRepository cache = hosted("cache", new InMemoryDriver()); // another store: bytes must be copied
    byte[] config = pushBlob(cache, APP, "{\"config\":1}");
    byte[] layer = pushBlob(cache, APP, "base layer");
    GroupRepository group = new GroupRepository("all", List.of(hostedMember, cache), hostedMember);

    // the client HEADs the blobs through the group, sees them, and pushes only the manifest
    assertThat(group.getBlob(APP, Digest.sha256(layer))).isPresent();
    group.putManifest(APP, Tag.of("1.0"), MediaTypes.OCI_MANIFEST, manifest(config, layer));

    assertThat(hostedMember.getBlob(APP, Digest.sha256(layer))).isPresent();
    assertThat(hostedMember.getManifest(APP, Tag.of("1.0"))).isPresent();
  }

  @Test
  void push_skippingBlobsInTheSameStore_linksThemWithoutCopying() throws IOException {
    InMemoryDriver shared = new InMemoryDriver();
    HostedRepository hostedMember = hosted("hosted", shared);
    HostedRepository cache = hosted("cache", shared);
    byte[] config = pushBlob(cache, ImageName.of("library/base"), "{\"config\":2}");
    byte[] layer = pushBlob(cache, ImageName.of("library/base"), "shared base layer");
    GroupRepository group = new GroupRepository("all", List.of(hostedMember, cache), hostedMember);

    group.putManifest(APP, Tag.of("1.0"), MediaTypes.OCI_MANIFEST, manifest(config, layer));

    assertThat(hostedMember.getBlob(APP, Digest.sha256(layer))).isPresent();
  }

  @Test
  void push_referencingABlobNoMemberHas_isStillRefused() {
    HostedRepository hostedMember = hosted("hosted", new InMemoryDriver());
    GroupRepository group = new GroupRepository("all", List.of(hostedMember), hostedMember);

    assertThatThrownBy(() -> group.putManifest(APP, Tag.of("1.0"), MediaTypes.OCI_MANIFEST,
        manifest("c".getBytes(), "l".getBytes())))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_BLOB_UNKNOWN));
  }

  // ---- referrers

  /** Pushes a referrer of {@code subject} (an artifact manifest with one layer) into {@code repo}; returns its digest. */
  static Digest pushReferrer(Repository repo, Digest subject, String artifactType, String content) throws IOException {
    byte[] config = pushBlob(repo, APP, "{}");
    byte[] layer = pushBlob(repo, APP, content);
    byte[] m = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"artifactType\":\""
        + artifactType + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_EMPTY + "\",\"digest\":\""
        + Digest.sha256(config) + "\",\"size\":2},\"layers\":[{\"mediaType\":\"" + artifactType + "\",\"digest\":\""
        + Digest.sha256(layer) + "\",\"size\":" + layer.length + "}],\"subject\":{\"mediaType\":\""
        + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + subject + "\",\"size\":100}}").getBytes(StandardCharsets.UTF_8);
    repo.putManifest(APP, Digest.sha256(m), MediaTypes.OCI_MANIFEST, m);
    return Digest.sha256(m);
  }

  @Test
  void referrers_unionOfTheMembers_aManifestInTwoListedOnce() throws IOException {
    HostedRepository a = hosted("a", new InMemoryDriver());
    HostedRepository b = hosted("b", new InMemoryDriver());
    Digest subject = Digest.sha256("subject");
    Digest sig = pushReferrer(a, subject, "application/vnd.dev.cosign.artifact.sig.v1+json", "sig");
    assertThat(pushReferrer(b, subject, "application/vnd.dev.cosign.artifact.sig.v1+json", "sig")).isEqualTo(sig);
    Digest sbom = pushReferrer(b, subject, "application/spdx+json", "sbom");
    GroupRepository group = new GroupRepository("all", List.of(a, b), null);

    assertThat(group.referrers(APP, subject, null)).extracting(r -> r.descriptor().digest())
        .containsExactlyInAnyOrder(sig, sbom);
    assertThat(group.referrers(APP, subject, "application/spdx+json")).extracting(r -> r.descriptor().digest())
        .containsExactly(sbom);
  }

  @Test
  void referrers_failingMember_theOthersAnswerWithAWarning_allFailing_isTheError() throws IOException {
    HostedRepository b = hosted("b", new InMemoryDriver());
    Digest subject = Digest.sha256("subject");
    Digest sig = pushReferrer(b, subject, "application/vnd.dev.cosign.artifact.sig.v1+json", "sig");
    GroupRepository group = new GroupRepository("all", List.of(new DownMember(), b), null);

    Warnings.begin();
    try {
      assertThat(group.referrers(APP, subject, null)).extracting(r -> r.descriptor().digest()).containsExactly(sig);
      assertThat(Warnings.take()).singleElement().asString().contains("may be incomplete").contains("down");
    } finally {
      Warnings.end();
    }
    GroupRepository allDown = new GroupRepository("down-only", List.of(new DownMember()), null);
    assertThatThrownBy(() -> allDown.referrers(APP, subject, null))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
  }
}
