package io.wharf.core.repository;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.manifest.Manifest;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Reference;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Members read as one, in order: the first member that has a manifest serves it, and a blob is
 * looked up first in the member that served the image's last manifest. A member that fails
 * (upstream down, rate limited) does not break the group when a later member has the content;
 * when none has it, the error names every member asked and why each failed. Tags and the
 * catalog are the sorted union of the members', paginated like any listing; referrers are the
 * union of the members' answers, each manifest listed once, and a member that fails leaves the
 * others' answer with a {@code Warning}.
 *
 * <p>With a writable member (a hosted repository), pushes sent to the group go there. Blobs the
 * client skipped because another member already had them (it asked with {@code HEAD} through
 * the group) are brought into the writable member when the manifest arrives: linked when that
 * member's storage already holds the bytes, copied otherwise.
 */
public final class GroupRepository implements Repository {
  private static final Set<ErrorCode> MEMBER_FAILURES = Set.of(ErrorCode.UNAVAILABLE, ErrorCode.TOOMANYREQUESTS,
      ErrorCode.UNAUTHORIZED, ErrorCode.DENIED, ErrorCode.UNKNOWN);

  private final String name;
  private final List<Repository> members;
  private final Repository writable;
  /** Which member served an image's latest manifest: its blobs are most likely there. */
  private final Cache<ImageName, Repository> servedBy = CacheBuilder.newBuilder().maximumSize(10_000).build();

  /**
   * A group that reads its members in order.
   *
   * @param name the group's name
   * @param members the members, in the order they are asked
   * @param writableMember the member pushes go to, or null for a read-only group
   * @throws IllegalArgumentException if {@code writableMember} is not one of {@code members}
   */
  public GroupRepository(String name, List<Repository> members, Repository writableMember) {
    this.name = Objects.requireNonNull(name, "name");
    this.members = List.copyOf(members);
    if (writableMember != null && !this.members.contains(writableMember)) {
      throw new IllegalArgumentException("writable member " + writableMember.name() + " is not a member of " + name);
    }
    this.writable = writableMember;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public RepositoryType type() {
    return RepositoryType.GROUP;
  }

  /** {@return the members, in the order they are asked} */
  public List<Repository> members() {
    return members;
  }

  /** {@return the member pushes go to, or empty for a read-only group} */
  public Optional<Repository> writableMember() {
    return Optional.ofNullable(writable);
  }

  // ---- reads

  @Override
  public Optional<Manifest> getManifest(ImageName image, Reference reference) throws IOException {
    Failures failures = new Failures();
    for (Repository member : members) {
      try {
        Optional<Manifest> m = member.getManifest(image, reference);
        if (m.isPresent()) {
          servedBy.put(image, member);
          return m;
        }
        failures.notFound(member);
      } catch (RegistryException e) {
        failures.add(member, e);
      }
    }
    failures.throwIfAnyFailed("manifest " + image + ":" + reference.value());
    return Optional.empty();
  }

  @Override
  public Optional<Blob> getBlob(ImageName image, Digest digest) throws IOException {
    Failures failures = new Failures();
    for (Repository member : preferred(image)) {
      try {
        Optional<Blob> b = member.getBlob(image, digest);
        if (b.isPresent()) {
          return b;
        }
        failures.notFound(member);
      } catch (RegistryException e) {
        failures.add(member, e);
      }
    }
    failures.throwIfAnyFailed("blob " + digest + " of " + image);
    return Optional.empty();
  }

  private List<Repository> preferred(ImageName image) {
    Repository first = servedBy.getIfPresent(image);
    if (first == null) {
      return members;
    }
    List<Repository> order = new ArrayList<>(members.size());
    order.add(first);
    for (Repository m : members) {
      if (m != first) {
        order.add(m);
      }
    }
    return order;
  }

  @Override
  public Page listTags(ImageName image, int n, String last) throws IOException {
    TreeSet<String> union = new TreeSet<>();
    boolean known = false;
    Failures failures = new Failures();
    for (Repository member : members) {
      try {
        union.addAll(member.listTags(image, Page.UNLIMITED, null).items());
        known = true;
      } catch (RegistryException e) {
        if (e.code() == ErrorCode.NAME_UNKNOWN) {
          failures.notFound(member);
        } else {
          failures.add(member, e);
        }
      }
    }
    if (!known) {
      failures.throwIfAnyFailed("tags of " + image);
      throw ErrorCode.NAME_UNKNOWN.exception("image " + image + " is unknown to every member of group " + name,
          Map.of("name", image.value()));
    }
    failures.warnIfAnyFailed("tags of " + image);
    return Page.of(union, n, last);
  }

  @Override
  public Page catalog(int n, String last) throws IOException {
    TreeSet<String> union = new TreeSet<>();
    for (Repository member : members) {
      union.addAll(member.catalog(Page.UNLIMITED, null).items());
    }
    return Page.of(union, n, last);
  }

  @Override
  public List<Referrer> referrers(ImageName image, Digest subject, String artifactType) throws IOException {
    Map<Digest, Referrer> union = new LinkedHashMap<>();
    boolean answered = false;
    Failures failures = new Failures();
    for (Repository member : members) {
      try {
        for (Referrer r : member.referrers(image, subject, artifactType)) {
          union.putIfAbsent(r.descriptor().digest(), r); // the same manifest through two members: listed once
        }
        answered = true;
      } catch (RegistryException e) {
        failures.add(member, e);
      }
    }
    if (!answered) {
      failures.throwIfAnyFailed("referrers of " + image + "@" + subject);
    }
    failures.warnIfAnyFailed("referrers of " + image + "@" + subject);
    return List.copyOf(union.values());
  }

  // ---- writes: to the writable member

  private Repository writable() {
    if (writable == null) {
      throw ErrorCode.UNSUPPORTED.exception("group " + name + " has no writable member; push to a hosted repository,"
          + " or give the group a writableMember");
    }
    return writable;
  }

  @Override
  public PushedManifest putManifest(ImageName image, Reference reference, String contentType, byte[] body)
      throws IOException {
    Repository target = writable();
    try {
      return target.putManifest(image, reference, contentType, body);
    } catch (RegistryException e) {
      if (e.code() != ErrorCode.MANIFEST_BLOB_UNKNOWN || !(e.detail() instanceof Map<?, ?> d)) {
        throw e;
      }
      // The client skipped what another member has (it asked with HEAD through the group):
      // bring those blobs and child manifests over, then try once more.
      for (String digest : strings(d.get("missingManifests"))) {
        adoptManifest(image, Digest.parse(digest));
      }
      for (String digest : strings(d.get("missingBlobs"))) {
        adoptBlob(image, Digest.parse(digest));
      }
      return target.putManifest(image, reference, contentType, body);
    }
  }

  private static List<String> strings(Object list) {
    List<String> out = new ArrayList<>();
    if (list instanceof List<?> l) {
      l.forEach(o -> out.add(String.valueOf(o)));
    }
    return out;
  }

  /** An index child another member has: pushed to the writable member by digest. */
  private void adoptManifest(ImageName image, Digest digest) throws IOException {
    for (Repository member : members) {
      if (member != writable) {
        Optional<Manifest> child = member.getManifest(image, digest);
        if (child.isPresent()) {
          putManifest(image, digest, child.get().mediaType(), child.get().bytes());
          return;
        }
      }
    }
  }

  /** A blob another member has: linked if the writable member's storage holds it, else copied. */
  private void adoptBlob(ImageName image, Digest digest) throws IOException {
    if (linkIfStored(image, digest)) {
      return;
    }
    for (Repository member : members) {
      if (member != writable) {
        Optional<Blob> blob = member.getBlob(image, digest);
        if (blob.isPresent()) {
          copyBlob(image, blob.get());
          return;
        }
      }
    }
  }

  private void copyBlob(ImageName image, Blob blob) throws IOException {
    UploadSession session = writable.startUpload(image);
    try (SeekableByteChannel ch = blob.open(); InputStream in = Channels.newInputStream(ch)) {
      writable.finishUpload(image, session.id(), in, Chunk.ofLength(blob.descriptor().size()), blob.descriptor().digest());
    } catch (IOException | RuntimeException e) {
      try {
        writable.cancelUpload(image, session.id());
      } catch (IOException | RuntimeException ignored) {
        // already gone
      }
      throw e;
    }
  }

  @Override
  public void deleteManifest(ImageName image, Reference reference) throws IOException {
    writable().deleteManifest(image, reference);
  }

  @Override
  public void deleteBlob(ImageName image, Digest digest) throws IOException {
    writable().deleteBlob(image, digest);
  }

  @Override
  public UploadSession startUpload(ImageName image) throws IOException {
    return writable().startUpload(image);
  }

  @Override
  public UploadSession uploadStatus(ImageName image, String uploadId) throws IOException {
    return writable().uploadStatus(image, uploadId);
  }

  @Override
  public UploadSession appendUpload(ImageName image, String uploadId, InputStream body, Chunk chunk)
      throws IOException {
    return writable().appendUpload(image, uploadId, body, chunk);
  }

  @Override
  public Descriptor finishUpload(ImageName image, String uploadId, InputStream body, Chunk chunk, Digest digest)
      throws IOException {
    return writable().finishUpload(image, uploadId, body, chunk, digest);
  }

  @Override
  public void cancelUpload(ImageName image, String uploadId) throws IOException {
    writable().cancelUpload(image, uploadId);
  }

  @Override
  public Optional<Descriptor> mountBlob(ImageName image, Digest digest, ImageName from) throws IOException {
    Repository target = writable();
    Optional<Descriptor> mounted = target.mountBlob(image, digest, from);
    if (mounted.isPresent() || from == null) {
      return mounted;
    }
    // the source image may live in another member: serve the mount from there
    for (Repository member : members) {
      if (member != target) {
        Optional<Blob> blob = member.getBlob(from, digest);
        if (blob.isPresent()) {
          if (!linkIfStored(image, digest)) {
            copyBlob(image, blob.get());
          }
          return target.getBlob(image, digest).map(Blob::descriptor);
        }
      }
    }
    return Optional.empty();
  }

  /** Links the blob into the writable member without copying, if its storage holds the bytes. */
  private boolean linkIfStored(ImageName image, Digest digest) throws IOException {
    return writable instanceof HostedRepository hosted && hosted.linkIfStored(image, digest);
  }

  @Override
  public String toString() {
    return "group(" + name + ", " + members.stream().map(Repository::name).toList() + ")";
  }

  /** What each member said when it did not deliver. */
  private final class Failures {
    private final Map<String, String> outcomes = new LinkedHashMap<>();
    private RegistryException first;

    void notFound(Repository member) {
      outcomes.put(member.name(), "not found");
    }

    void add(Repository member, RegistryException e) {
      if (!MEMBER_FAILURES.contains(e.code())) {
        throw e; // the client's fault (bad digest, bad name): the same in every member
      }
      outcomes.put(member.name(), e.getMessage());
      if (first == null) {
        first = e;
      }
    }

    /** When nobody had it and somebody failed, the client hears about the failure, not "unknown". */
    void throwIfAnyFailed(String what) {
      if (first != null) {
        throw new RegistryException(first.code(), what + " not available from group " + name + ": " + describe(),
            Map.of("members", outcomes), first);
      }
    }

    void warnIfAnyFailed(String what) {
      if (first != null) {
        Warnings.add(what + " in group " + name + " may be incomplete: " + describe());
      }
    }

    private String describe() {
      Set<String> parts = new LinkedHashSet<>();
      outcomes.forEach((member, outcome) -> parts.add(member + ": " + outcome));
      return String.join("; ", parts);
    }
  }
}
