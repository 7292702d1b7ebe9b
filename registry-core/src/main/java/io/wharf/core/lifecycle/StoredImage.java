package io.wharf.core.lifecycle;

import io.wharf.core.manifest.Manifest;
import io.wharf.core.manifest.ManifestParser;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One image as storage holds it, read for one lifecycle job: its tags (target and time of the last
 * write), its manifest revisions and, read lazily one manifest at a time, what each manifest
 * references. Manifest bytes are parsed and dropped, so memory is this image's digests.
 */
final class StoredImage {
  /** A tag as read: what it pointed at and when its link was written (its last push). */
  record TagLink(Tag tag, Digest target, Instant written) {}

  /** What a stored manifest references; {@code size} is the length of its own bytes. */
  record Refs(long size, List<Digest> children, Set<Digest> blobs, Optional<Digest> subject) {
    static final Refs NONE = new Refs(0, List.of(), Set.of(), Optional.empty());
  }

  private final StorageDriver driver;
  private final StorageLayout layout;
  private final ImageName image;
  private final List<TagLink> tags;
  private final Set<Digest> revisions;
  private final Map<Digest, Refs> refs = new HashMap<>();

  private StoredImage(StorageDriver driver, StorageLayout layout, ImageName image, List<TagLink> tags,
      Set<Digest> revisions) {
    this.driver = driver;
    this.layout = layout;
    this.image = image;
    this.tags = tags;
    this.revisions = revisions;
  }

  static StoredImage read(StorageDriver driver, StorageLayout layout, ImageName image) throws IOException {
    List<TagLink> tags = readTags(driver, layout, image);
    Set<Digest> revisions = new LinkedHashSet<>(StorageLayout.digestsUnder(driver, layout.manifestRevisionsDir(image)));
    return new StoredImage(driver, layout, image, tags, revisions);
  }

  static List<TagLink> readTags(StorageDriver driver, StorageLayout layout, ImageName image) throws IOException {
    List<TagLink> out = new ArrayList<>();
    for (String dir : driver.list(layout.tagsDir(image))) {
      String name = StorageLayout.lastSegment(dir);
      if (!Tag.isValid(name)) {
        continue;
      }
      Tag tag = Tag.of(name);
      Optional<TagLink> link = readTag(driver, layout, image, tag);
      link.ifPresent(out::add);
    }
    return out;
  }

  private static Optional<TagLink> readTag(StorageDriver driver, StorageLayout layout, ImageName image, Tag tag)
      throws IOException {
    String path = layout.tagCurrentLink(image, tag);
    Optional<Digest> target = StorageLayout.readLink(driver, path); // torn or foreign: no link
    Optional<FileInfo> info = driver.stat(path);
    if (target.isEmpty() || info.isEmpty()) {
      return Optional.empty(); // a tag directory without a readable current link: nothing points anywhere
    }
    return Optional.of(new TagLink(tag, target.get(), info.get().modified()));
  }

  ImageName name() {
    return image;
  }

  List<TagLink> tags() {
    return tags;
  }

  Set<Digest> revisions() {
    return revisions;
  }

  /** What manifest {@code d} references; {@link Refs#NONE} if it is no revision of this image or its bytes are gone. */
  Refs refs(Digest d) throws IOException {
    Refs known = refs.get(d);
    if (known != null) {
      return known;
    }
    Refs r = Refs.NONE;
    if (revisions.contains(d)) {
      Optional<byte[]> bytes = driver.getContent(layout.blobData(d));
      if (bytes.isPresent()) {
        Manifest m = ManifestParser.parseStored(bytes.get());
        Set<Digest> blobs = new LinkedHashSet<>(m.storedBlobs());
        List<Digest> children = m.children().stream().map(Descriptor::digest).toList();
        r = new Refs(bytes.get().length, children, blobs, m.subject().map(Descriptor::digest));
      }
    }
    refs.put(d, r);
    return r;
  }

  /** {@code roots} that are revisions and the index children they reach, recursively. */
  Set<Digest> reachable(Collection<Digest> roots) throws IOException {
    Set<Digest> out = new LinkedHashSet<>();
    Deque<Digest> todo = new ArrayDeque<>(roots);
    while (!todo.isEmpty()) {
      Digest d = todo.pop();
      if (revisions.contains(d) && out.add(d)) {
        todo.addAll(refs(d).children());
      }
    }
    return out;
  }

  /** The manifests of this image whose subject is {@code subject} (OCI referrers). */
  List<Digest> referrers(Digest subject) throws IOException {
    return StorageLayout.digestsUnder(driver, layout.referrersDir(image, subject));
  }

  /** The blobs linked into this image ({@code _layers}). */
  List<Digest> linkedBlobs() throws IOException {
    return StorageLayout.digestsUnder(driver, layout.layersDir(image));
  }

  /** When a revision link was last written (pushed, or cached by a proxy). */
  Optional<Instant> revisionWritten(Digest d) throws IOException {
    return driver.stat(layout.manifestRevisionLink(image, d)).map(FileInfo::modified);
  }

  Optional<Instant> layerLinkWritten(Digest d) throws IOException {
    return driver.stat(layout.layerLink(image, d)).map(FileInfo::modified);
  }

  /** Size of the stored bytes of a blob; empty if they are gone. */
  Optional<Long> blobSize(Digest d) throws IOException {
    return driver.stat(layout.blobData(d)).filter(f -> !f.directory()).map(FileInfo::size);
  }

  // ---- removals, each re-checked against storage right before it

  /**
   * Deletes the tag, unless it was pushed again since it was read (another target or a newer
   * link): a push racing with the job wins.
   */
  boolean untag(TagLink t) throws IOException {
    Optional<TagLink> now = readTag(driver, layout, image, t.tag());
    if (now.isEmpty() || !now.get().target().equals(t.target()) || now.get().written().isAfter(t.written())) {
      return false;
    }
    driver.delete(layout.tagDir(image, t.tag()));
    return true;
  }

  /** True if the revision link exists and was written before {@code cutoff} (no push is using it right now). */
  boolean isRevisionOlderThan(Digest d, Instant cutoff) throws IOException {
    Optional<Instant> written = revisionWritten(d);
    return written.isPresent() && written.get().isBefore(cutoff);
  }

  /**
   * Unlinks a manifest from the image (its revision link and its entry in its subject's
   * referrers), unless its link was written at or after {@code cutoff}: a push referencing it
   * rewrites that link (see {@code HostedRepository#putManifest}). The bytes stay for the
   * garbage collector.
   */
  boolean unlinkManifest(Digest d, Instant cutoff) throws IOException {
    if (!isRevisionOlderThan(d, cutoff)) {
      return false;
    }
    Optional<Digest> subject = refs(d).subject();
    driver.delete(layout.manifestRevisionDir(image, d));
    if (subject.isPresent()) {
      driver.delete(layout.referrerDir(image, subject.get(), d));
    }
    return true;
  }

  /**
   * Puts back what {@link #unlinkManifest} removed from a manifest unlinked by mistake (a push
   * raced with the job): its revision link and its entry in its subject's referrers.
   */
  void relinkManifest(Digest d) throws IOException {
    byte[] link = d.value().getBytes(StandardCharsets.US_ASCII);
    driver.putContent(layout.manifestRevisionLink(image, d), link);
    Optional<Digest> subject = refs(d).subject();
    if (subject.isPresent()) {
      driver.putContent(layout.referrerLink(image, subject.get(), d), link);
    }
  }

  /** Unlinks a blob from the image unless its link was written at or after {@code cutoff}. */
  boolean unlinkBlob(Digest d, Instant cutoff) throws IOException {
    Optional<Instant> written = layerLinkWritten(d);
    if (written.isEmpty() || !written.get().isBefore(cutoff)) {
      return false;
    }
    driver.delete(layout.layerDir(image, d));
    return true;
  }
}
