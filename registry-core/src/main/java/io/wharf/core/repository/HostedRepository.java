package io.wharf.core.repository;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.lifecycle.AccessLog;
import io.wharf.core.manifest.Manifest;
import io.wharf.core.manifest.ManifestParser;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Reference;
import io.wharf.core.model.Tag;
import io.wharf.core.quota.Quota;
import io.wharf.core.quota.QuotaListener;
import io.wharf.core.quota.RepositoryQuota;
import io.wharf.core.quota.RepositoryUsage;
import io.wharf.core.storage.BlobStore;
import io.wharf.core.storage.Catalog;
import io.wharf.core.storage.CheckedStorageDriver;
import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.ManifestStore;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageFullException;
import io.wharf.core.storage.StorageLayout;
import io.wharf.core.storage.StoreSpace;
import io.wharf.core.storage.TagHistory;
import io.wharf.core.storage.TagStore;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import io.wharf.core.upload.UploadStore;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A repository you push to, on any {@link StorageDriver}, in CNCF distribution's storage layout.
 *
 * <p>Pushes are validated before anything becomes visible: blobs by digest (see {@link
 * UploadStore}), manifests by parsing them and checking that everything they reference is
 * already in the image ({@code MANIFEST_BLOB_UNKNOWN} otherwise), tags by the {@link WritePolicy}.
 */
public final class HostedRepository implements Repository, StorageBacked {
  private static final Logger LOG = LoggerFactory.getLogger(HostedRepository.class);
  /** The one tag that {@link WritePolicy#ALLOW_ONCE} may let move (Nexus's "allow redeploy only on latest"). */
  public static final String LATEST = "latest";

  private final String name;
  private final StorageDriver driver;
  private final StorageLayout layout;
  private final BlobStore blobs;
  private final ManifestStore manifests;
  private final TagStore tags;
  private final UploadStore uploads;
  private final Catalog catalog;
  private final TagHistory history;
  private final WritePolicy writePolicy;
  private final boolean allowLatestRedeploy;
  /** Null unless pulls are recorded (for cleanup by last pull): then pulls pay nothing for it. */
  private final AccessLog accessLog;
  /** Null without a quota: then pushes take no detour at all. */
  private final RepositoryQuota quota;
  /** Null without a reserve: then uploads are refused only when the storage itself is full. */
  private final StoreSpace space;

  private HostedRepository(Builder b) {
    this.name = b.name;
    this.driver = CheckedStorageDriver.wrap(b.driver);
    this.layout = new StorageLayout(b.namespace);
    this.blobs = new BlobStore(driver, layout);
    this.manifests = new ManifestStore(driver, layout, blobs, b.metadataCacheTtl);
    this.tags = new TagStore(driver, layout, b.metadataCacheTtl);
    this.history = new TagHistory(driver, layout, java.time.Clock.systemUTC());
    this.uploads = new UploadStore(driver, layout, blobs);
    this.catalog = new Catalog(driver, layout);
    this.writePolicy = b.writePolicy;
    this.allowLatestRedeploy = b.allowLatestRedeploy;
    this.accessLog = b.accessLog;
    this.quota = b.quota == null ? null
        : new RepositoryQuota(name, b.quota, new RepositoryUsage(driver, layout, b.quota.rescanAfter()),
            b.quotaListener);
    this.space = b.space;
  }

  /**
   * A hosted repository named {@code name} that keeps its images on {@code driver}.
   *
   * @param name the repository's name, unique in its {@link Registry}
   * @param driver its storage
   * @return a builder with the defaults (write policy {@code allow}, no namespace, no quota)
   */
  public static Builder builder(String name, StorageDriver driver) {
    return new Builder(name, driver);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public RepositoryType type() {
    return RepositoryType.HOSTED;
  }

  /** {@return what pushes and deletes may do: allow, allow once (tags are written once) or deny} */
  public WritePolicy writePolicy() {
    return writePolicy;
  }

  /** {@return the storage this repository writes to (already path-checked)} */
  @Override
  public StorageDriver storage() {
    return driver;
  }

  @Override
  public StorageLayout layout() {
    return layout;
  }

  /**
   * The quota and its usage accounting, if {@link Builder#quota} set one: {@code
   * quota().ifPresent(RepositoryQuota::refresh)} after garbage collection or cleanup.
   *
   * @return the quota, or empty if none was set
   */
  public Optional<RepositoryQuota> quota() {
    return Optional.ofNullable(quota);
  }

  // ---- pull

  @Override
  public Optional<Manifest> getManifest(ImageName image, Reference reference) throws IOException {
    Optional<Digest> digest = reference instanceof Tag t ? tags.resolve(image, t) : Optional.of((Digest) reference);
    Optional<Manifest> manifest = digest.isEmpty() ? Optional.empty() : manifests.get(image, digest.get());
    if (accessLog != null && manifest.isPresent()) {
      accessLog.recordPull(image, reference); // only hits: misses must not grow the log
    }
    return manifest;
  }

  @Override
  public Optional<Blob> getBlob(ImageName image, Digest digest) throws IOException {
    return blobs.get(image, digest);
  }

  @Override
  public Page listTags(ImageName image, int n, String last) throws IOException {
    // Not imageRoot: an upload in progress, a mounted or uploaded layer, or a nested image
    // ("team/app" under "team") creates that directory without making the name an image.
    // distribution 2.8 answers NAME_UNKNOWN for those as well.
    if (driver.stat(layout.manifestsDir(image)).isEmpty()) {
      throw ErrorCode.NAME_UNKNOWN.exception("image " + image + " is unknown to repository " + name,
          Map.of("name", image.value()));
    }
    return Page.of(tags.list(image), n, last);
  }

  @Override
  public Page catalog(int n, String last) throws IOException {
    return Page.of(catalog.images(), n, last);
  }

  @Override
  public List<Referrer> referrers(ImageName image, Digest subject, String artifactType) throws IOException {
    return Referrer.indexed(manifests, image, subject, artifactType);
  }

  // ---- push

  @Override
  public PushedManifest putManifest(ImageName image, Reference reference, String contentType, byte[] body)
      throws IOException {
    return putManifest(image, reference, contentType, body, Set.of());
  }

  /**
   * {@link #putManifest(ImageName, Reference, String, byte[])} for an image index some of whose
   * children were left out on purpose: a sync rule that keeps only some platforms stores the
   * index byte for byte (so its digest and signatures stay valid) without the children it
   * filtered out; pulling one of those gives {@code MANIFEST_UNKNOWN}. Every other reference must
   * be present as for a push.
   *
   * @param image the image
   * @param reference the tag to point at it, or its digest (which must match the body)
   * @param contentType the manifest's media type, or null to go by the body
   * @param body the manifest exactly as it is to be stored; its digest is that of these bytes
   * @param leftOutChildren digests of index children that may be absent from the image; empty
   *     for an ordinary push, which needs every child
   * @return the stored manifest's descriptor and subject
   * @throws io.wharf.core.error.RegistryException as for a push: {@code MANIFEST_INVALID},
   *     {@code DIGEST_INVALID}, {@code MANIFEST_BLOB_UNKNOWN} (a reference missing that was not
   *     left out), {@code DENIED} (write policy, a read-only repository) and others
   * @throws IOException if storage fails
   */
  public PushedManifest putManifest(ImageName image, Reference reference, String contentType, byte[] body,
      Set<Digest> leftOutChildren) throws IOException {
    requireWritable();
    Manifest manifest = ManifestParser.parse(body, contentType);
    if (reference instanceof Digest d && !d.equals(manifest.digest())) {
      throw ErrorCode.DIGEST_INVALID.exception(
          "manifest pushed as " + d + " but its content hashes to " + manifest.digest(),
          Map.of("expected", d.value(), "actual", manifest.digest().value()));
    }
    long checked = System.nanoTime();
    requireReferencesPresent(image, manifest, leftOutChildren);
    if (reference instanceof Tag tag) {
      requireTagWritable(image, tag, manifest.digest());
    }
    if (quota == null) {
      manifests.put(image, manifest);
    } else {
      quota.store(manifests.exists(image, manifest.digest()) ? 0 : manifest.bytes().length,
          () -> manifests.put(image, manifest));
    }
    if (System.nanoTime() - checked > BlobStore.REFERENCE_CHECK_VALID_FOR.toNanos()) {
      // A stalled push: the links the check refreshed may have aged out of a concurrent garbage
      // collection's window by now. Check again (refreshing them), before any tag points here.
      requireReferencesPresent(image, manifest, leftOutChildren);
    }
    if (reference instanceof Tag tag) {
      Optional<Digest> previous = tags.resolve(image, tag);
      tags.tag(image, tag, manifest.digest());
      if (!previous.equals(Optional.of(manifest.digest()))) {
        history.record(image, tag, manifest.digest(), "push", Actor.current());
      }
    }
    manifests.ensureLinked(image, manifest);
    return new PushedManifest(manifest.descriptor(), manifest.subject().map(Descriptor::digest));
  }

  @Override
  public void deleteManifest(ImageName image, Reference reference) throws IOException {
    requireDeletable();
    if (reference instanceof Tag tag) {
      if (!tags.untag(image, tag)) {
        throw ErrorCode.MANIFEST_UNKNOWN.exception("tag " + tag + " is unknown in " + image);
      }
      history.record(image, tag, null, "delete", Actor.current());
      return;
    }
    Digest digest = (Digest) reference;
    if (!manifests.delete(image, digest)) {
      throw ErrorCode.MANIFEST_UNKNOWN.exception("manifest " + digest + " is unknown in " + image);
    }
    if (quota != null) {
      quota.deleted();
    }
    // As distribution does: tags that pointed at the deleted manifest go with it.
    for (String t : tags.list(image)) {
      Tag tag = Tag.of(t);
      if (tags.resolve(image, tag).filter(digest::equals).isPresent()) {
        tags.untag(image, tag);
        history.record(image, tag, null, "delete", Actor.current());
      }
    }
  }

  @Override
  public List<TagRevision> tagHistory(ImageName image, Tag tag) throws IOException {
    return history.list(image, tag);
  }

  @Override
  public void restoreTag(ImageName image, Tag tag, Digest digest) throws IOException {
    requireWritable();
    if (!manifests.refresh(image, digest)) {
      throw ErrorCode.MANIFEST_UNKNOWN.exception("manifest " + digest + " is no longer in " + image
          + ": it cannot be restored (garbage collection keeps the tag history's manifests for its tagHistory window)");
    }
    requireTagWritable(image, tag, digest);
    if (tags.resolve(image, tag).equals(Optional.of(digest))) {
      return; // already there: nothing to record
    }
    tags.tag(image, tag, digest);
    history.record(image, tag, digest, "restore", Actor.current());
  }

  @Override
  public void deleteBlob(ImageName image, Digest digest) throws IOException {
    requireDeletable();
    if (!blobs.isLinked(image, digest)) {
      throw ErrorCode.BLOB_UNKNOWN.exception("blob " + digest + " is unknown in " + image);
    }
    blobs.unlink(image, digest);
    if (quota != null) {
      quota.deleted();
    }
  }

  @Override
  public UploadSession startUpload(ImageName image) throws IOException {
    requireWritable();
    if (space != null) {
      space.requireRoom(0);
    }
    return uploads.start(image);
  }

  @Override
  public UploadSession uploadStatus(ImageName image, String uploadId) throws IOException {
    return uploads.status(image, uploadId);
  }

  @Override
  public UploadSession appendUpload(ImageName image, String uploadId, InputStream body, Chunk chunk)
      throws IOException {
    requireWritable();
    return withinSpace(image, uploadId, body, chunk, in -> quota == null ? uploads.append(image, uploadId, in, chunk)
        : quota.append(uploads, image, uploadId, in, chunk));
  }

  @Override
  public Descriptor finishUpload(ImageName image, String uploadId, InputStream body, Chunk chunk, Digest digest)
      throws IOException {
    requireWritable();
    return withinSpace(image, uploadId, body, chunk, in -> quota == null ? uploads.finish(image, uploadId, in, chunk, digest)
        : quota.finish(uploads, blobs, image, uploadId, in, chunk, digest));
  }

  @Override
  public void cancelUpload(ImageName image, String uploadId) throws IOException {
    uploads.cancel(image, uploadId);
  }

  /**
   * A cross-repository mount: links the blob of {@code from} into {@code image}. The link is
   * written before the bytes are looked at (see {@link BlobStore#linkIfStored}), so a mount of a
   * blob that garbage collection is deleting right now either keeps it or answers empty (the
   * client then uploads it: a 202, as the spec allows).
   */
  @Override
  public Optional<Descriptor> mountBlob(ImageName image, Digest digest, ImageName from) throws IOException {
    requireWritable();
    if (from == null || !blobs.isLinked(from, digest)) {
      return Optional.empty();
    }
    // No quota check: the source is an image of this repository, so its quota counts the blob already.
    return blobs.linkIfStored(image, digest).map(stored -> new Descriptor(null, digest, stored.size()));
  }

  /**
   * Links a blob into {@code image} if this repository's storage already holds its bytes (stored
   * for another image or by another repository on the same blob store). Used by groups to adopt
   * blobs a client skipped because another member had them; never exposes bytes that no member
   * serves for that image. Safe against a concurrent garbage collection as {@link #mountBlob} is.
   *
   * @param image the image to link the blob into
   * @param digest the blob's digest
   * @return true if the blob is linked now, false if its bytes are not stored
   * @throws io.wharf.core.error.RegistryException {@code DENIED} if the write policy forbids
   *     pushes, or the quota's hard limit
   * @throws IOException if storage fails
   */
  public boolean linkIfStored(ImageName image, Digest digest) throws IOException {
    requireWritable();
    Optional<FileInfo> stored = blobs.stat(digest); // a first look, for the quota's size
    if (stored.isEmpty()) {
      return false;
    }
    if (quota == null) {
      return blobs.linkIfStored(image, digest).isPresent();
    }
    boolean[] linked = new boolean[1];
    quota.store(blobs.isLinked(image, digest) ? 0 : stored.get().size(),
        () -> linked[0] = blobs.linkIfStored(image, digest).isPresent());
    return linked[0];
  }

  /** One upload request's work on its (possibly metered) body. */
  @FunctionalInterface
  private interface UploadStep<T> {
    T run(InputStream body) throws IOException;
  }

  /**
   * Runs an upload request within the store's space: with a {@link StoreSpace}, refused before its
   * body is read when the store is below its reserve or the declared length would take it there,
   * and followed as its bytes stream. However it runs out of space (that reserve, or the storage
   * itself full), the upload is discarded: a client does not resume after a 507, and bytes left in
   * {@code _uploads} would hold the space until the purge, failing every push meanwhile.
   */
  private <T> T withinSpace(ImageName image, String id, InputStream body, Chunk chunk, UploadStep<T> step)
      throws IOException {
    try {
      if (space == null) {
        return step.run(body);
      }
      space.requireRoom(Math.max(0, chunk.length()));
      return step.run(space.meter(body));
    } catch (StorageFullException e) {
      try {
        uploads.cancel(image, id);
      } catch (IOException | RuntimeException gone) {
        LOG.debug("discarding upload {} of {} after it ran out of space: {}", id, image, gone.toString());
      }
      if (space != null) {
        space.refresh(); // the discarded bytes are free again
      }
      throw e;
    }
  }

  // ---- rules

  private void requireWritable() {
    if (writePolicy == WritePolicy.DENY) {
      throw ErrorCode.DENIED.exception("repository " + name + " is read-only (write policy deny)");
    }
  }

  private void requireDeletable() {
    if (writePolicy != WritePolicy.ALLOW) {
      throw ErrorCode.DENIED.exception(
          "repository " + name + " does not allow deletes (write policy " + writePolicy.name().toLowerCase(java.util.Locale.ROOT) + ")");
    }
  }

  private void requireTagWritable(ImageName image, Tag tag, Digest digest) throws IOException {
    if (writePolicy != WritePolicy.ALLOW_ONCE || (allowLatestRedeploy && LATEST.equals(tag.value()))) {
      return;
    }
    Optional<Digest> current = tags.resolve(image, tag);
    if (current.isPresent() && !current.get().equals(digest)) {
      throw ErrorCode.DENIED.exception("tag " + image + ":" + tag + " already exists and repository " + name
          + " allows a tag to be written only once", Map.of("tag", tag.value(), "current", current.get().value()));
    }
  }

  /** Every config, layer and child manifest must already be in the image (foreign layers excepted). */
  private void requireReferencesPresent(ImageName image, Manifest manifest, Set<Digest> leftOutChildren)
      throws IOException {
    Set<Digest> missingBlobs = new LinkedHashSet<>();
    // refreshLink/refresh, not isLinked/exists: they also tell a concurrent garbage collection
    // that these blobs are referenced again (see GarbageCollector), and check the bytes are there.
    for (Digest blob : manifest.storedBlobs()) {
      if (!blobs.refreshLink(image, blob)) {
        missingBlobs.add(blob);
      }
    }
    Set<Digest> missingManifests = new LinkedHashSet<>();
    for (Descriptor child : manifest.children()) {
      if (!manifests.refresh(image, child.digest()) && !leftOutChildren.contains(child.digest())) {
        missingManifests.add(child.digest());
      }
    }
    if (!missingBlobs.isEmpty() || !missingManifests.isEmpty()) {
      List<String> blobList = missingBlobs.stream().map(Digest::value).toList();
      List<String> manifestList = missingManifests.stream().map(Digest::value).toList();
      List<String> all = new ArrayList<>(blobList);
      all.addAll(manifestList);
      throw ErrorCode.MANIFEST_BLOB_UNKNOWN.exception(
          "manifest references " + all.size() + " blob(s) or manifest(s) not pushed to " + image + " yet: " + all,
          Map.of("missing", all, "missingBlobs", blobList, "missingManifests", manifestList));
    }
  }

  @Override
  public String toString() {
    return "hosted(" + name + ", " + driver.name() + ")";
  }

  /** Sets up a {@link HostedRepository}; from {@link HostedRepository#builder}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final StorageDriver driver;
    private WritePolicy writePolicy = WritePolicy.ALLOW;
    private boolean allowLatestRedeploy;
    private Duration metadataCacheTtl = Duration.ofSeconds(5);
    private String namespace;
    private Quota quota;
    private QuotaListener quotaListener = QuotaListener.NONE;
    private AccessLog accessLog;
    private StoreSpace space;

    private Builder(String name, StorageDriver driver) {
      this.name = Objects.requireNonNull(name, "name");
      this.driver = Objects.requireNonNull(driver, "driver");
    }

    /**
     * What pushes and deletes may do (default {@link WritePolicy#ALLOW}).
     *
     * @param writePolicy the policy
     * @return this builder
     */
    public Builder writePolicy(WritePolicy writePolicy) {
      this.writePolicy = Objects.requireNonNull(writePolicy);
      return this;
    }

    /**
     * With {@link WritePolicy#ALLOW_ONCE}: let the {@code latest} tag move anyway.
     *
     * @param allow true to let {@code latest} move under {@code allow_once}
     * @return this builder
     */
    public Builder allowLatestRedeploy(boolean allow) {
      this.allowLatestRedeploy = allow;
      return this;
    }

    /**
     * How long manifests and tag lookups may be served from memory. This node's writes
     * invalidate at once; another node's writes to shared storage show after at most this long.
     * Zero disables the cache. Default 5 s.
     *
     * @param ttl how long, or zero for no cache
     * @return this builder
     */
    public Builder metadataCacheTtl(Duration ttl) {
      this.metadataCacheTtl = Objects.requireNonNull(ttl);
      return this;
    }

    /**
     * Keeps this repository's images under {@code namespace} in storage, apart from other
     * repositories on the same storage (see {@link StorageLayout}). Default: none, the plain
     * distribution layout, for a repository alone on its storage.
     *
     * @param namespace the namespace (usually the repository's name), or null for none
     * @return this builder
     */
    public Builder namespace(String namespace) {
      this.namespace = namespace;
      return this;
    }

    /**
     * Limits what this repository stores (see {@link RepositoryQuota}): pushes over the hard
     * limit are refused with {@code DENIED}, pushes over the soft limit get a warning. Default:
     * none (null), and pushes pay nothing for the feature.
     *
     * @param quota the limits, or null for none
     * @return this builder
     */
    public Builder quota(Quota quota) {
      this.quota = quota;
      return this;
    }

    /**
     * Tells {@code listener} of pushes that pass the soft limit or are refused by the hard one;
     * default none.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder quotaListener(QuotaListener listener) {
      this.quotaListener = Objects.requireNonNull(listener);
      return this;
    }

    /**
     * Keeps the reserve of free space of the blob store this repository writes to (see {@link
     * StoreSpace}): uploads that would eat into it are refused with 507. Pass the repository the
     * store's {@link StoreSpace#driver()} as its driver, so out-of-space errors name the store.
     * Default: none; an upload is then refused only when the storage itself is full.
     *
     * @param space the store's reserve, or null for none
     * @return this builder
     */
    public Builder space(StoreSpace space) {
      this.space = space;
      return this;
    }

    /**
     * Records manifest pulls (by tag and by digest) in {@code accessLog}, for cleanup policies
     * with {@code notPulledFor}; the log must be built with this repository's namespace, and its
     * owner flushes it. Default: none (null), and pulls pay nothing for the feature.
     *
     * @param accessLog the access log, or null for none
     * @return this builder
     */
    public Builder accessLog(AccessLog accessLog) {
      this.accessLog = accessLog;
      return this;
    }

    /**
     * Builds the repository.
     *
     * @return the repository
     * @throws IllegalArgumentException if the access log is another namespace's
     */
    public HostedRepository build() {
      if (accessLog != null) {
        accessLog.requireNamespace(namespace, "repository " + name);
      }
      return new HostedRepository(this);
    }
  }
}
