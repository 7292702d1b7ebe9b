package io.wharf.testkit;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Reference;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.Page;
import io.wharf.core.repository.Repository;
import io.wharf.core.repository.RepositoryType;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One repository of a {@link TestRegistry} (hosted, proxy or group), on its own port: where to
 * reach it and what it holds. For a proxy, the inspection methods look at the cache only and
 * never ask the upstream. For a group they ask the members, so the proxy member may call its
 * upstream. Reads go through the Java API, not HTTP: they do not show in the journal.
 */
public final class TestRepository {
  private final TestRegistry owner;
  private final String name;

  TestRepository(TestRegistry owner, String name) {
    this.owner = owner;
    this.name = name;
  }

  /**
   * {@return this repository's name: {@value TestRegistry#HOSTED} (or the name given), {@value
   * TestRegistry#PROXY} or {@value TestRegistry#GROUP}}
   */
  public String name() {
    return name;
  }

  /** {@return whether it is a hosted repository, a proxy or a group} */
  public RepositoryType type() {
    return repository().type();
  }

  /** {@return {@code http://127.0.0.1:PORT} of this repository's own port} */
  public URI url() {
    return owner.url(name);
  }

  /** {@return {@code 127.0.0.1:PORT}, for image references} */
  public String hostPort() {
    URI u = url();
    return u.getHost() + ":" + u.getPort();
  }

  /**
   * {@code 127.0.0.1:PORT/NAME:TAG}, or {@code ...NAME@DIGEST} when {@code reference} is a digest.
   *
   * @param image the image name, e.g. {@code team/app}
   * @param reference a tag, or a digest ({@code sha256:...})
   * @return the image reference for this repository's port
   */
  public String imageRef(String image, String reference) {
    return hostPort() + "/" + image + (reference.indexOf(':') >= 0 ? "@" : ":") + reference;
  }

  /**
   * The tags of {@code image}, sorted; empty if the image does not exist here.
   *
   * @param image the image name
   * @return its tags
   */
  public List<String> tags(String image) {
    try {
      return inspector().listTags(ImageName.of(image), Page.UNLIMITED, null).items();
    } catch (RegistryException e) {
      if (e.code() == ErrorCode.NAME_UNKNOWN) {
        return List.of();
      }
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A manifest by {@code name:tag}, {@code name@digest}, or {@code name} (meaning {@code :latest}).
   *
   * @param ref the reference, without host
   * @return the manifest, or empty if there is none
   * @throws java.io.UncheckedIOException if storage (or, for a proxy, the upstream) fails
   */
  public Optional<StoredManifest> manifest(String ref) {
    String[] parts = split(ref);
    try {
      return inspector().getManifest(ImageName.of(parts[0]), Reference.parse(parts[1])).map(StoredManifest::of);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every digest in this repository's blob store: layers, configs and manifests (CNCF
   * distribution's layout stores manifests as blobs too). For a group, the union of its members'.
   *
   * @return the digests, sorted
   * @throws java.io.UncheckedIOException if storage fails
   */
  public SortedSet<Digest> blobs() {
    TestRegistry.State s = owner.state();
    SortedSet<Digest> out = new TreeSet<>();
    try {
      if (s.drivers().containsKey(name)) {
        collectBlobs(s.drivers().get(name), out);
      } else {
        for (StorageDriver d : s.drivers().values()) {
          collectBlobs(d, out);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Collections.unmodifiableSortedSet(out);
  }

  private static void collectBlobs(StorageDriver driver, SortedSet<Digest> out) throws IOException {
    for (String alg : driver.list(new StorageLayout().blobsRoot())) {
      String algorithm = StorageLayout.lastSegment(alg);
      if (!Digest.isSupportedAlgorithm(algorithm)) {
        continue;
      }
      for (String prefix : driver.list(alg)) {
        for (String hex : driver.list(prefix)) {
          if (driver.stat(hex + "/data").isPresent()) {
            out.add(new Digest(algorithm, StorageLayout.lastSegment(hex)));
          }
        }
      }
    }
  }

  /**
   * The directory that holds this repository's storage, in CNCF distribution's layout (a
   * {@code registry:2} {@code rootdirectory}), with {@link TestRegistryOptions.Storage#TEMP_DIRECTORY};
   * empty in memory and for a group. It changes on {@link TestRegistry#reset()} and is deleted on close.
   *
   * @return the directory, or empty
   */
  public Optional<Path> storageDirectory() {
    return Optional.ofNullable(owner.state().storageDirectories().get(name));
  }

  /** {@return the image names, sorted} */
  public List<String> catalog() {
    try {
      return inspector().catalog(Page.UNLIMITED, null).items();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The live Wharf repository behind this port (a {@code HostedRepository}, {@code
   * ProxyRepository} or {@code GroupRepository}), for anything the kit does not wrap. It is
   * replaced by {@link TestRegistry#reset()}.
   *
   * @return the repository
   */
  public Repository repository() {
    return owner.state().repositories().get(name);
  }

  private Repository inspector() {
    return owner.state().inspectors().get(name);
  }

  /** {@code name:tag} / {@code name@digest} / {@code name} -> {name, reference}. */
  static String[] split(String ref) {
    int at = ref.indexOf('@');
    if (at >= 0) {
      return new String[] {ref.substring(0, at), ref.substring(at + 1)};
    }
    int colon = ref.lastIndexOf(':');
    if (colon > ref.lastIndexOf('/')) {
      return new String[] {ref.substring(0, colon), ref.substring(colon + 1)};
    }
    return new String[] {ref, Tag.of("latest").value()};
  }

  @Override
  public String toString() {
    return name + " at " + url();
  }
}
