package io.wharf.proxy.sync;

import io.wharf.core.manifest.Manifest;
import io.wharf.core.manifest.ManifestParser;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Copies images from a {@link SyncSource} to a {@link SyncTarget} with their digests intact: the
 * manifests are stored byte for byte as the source served them (each checked against the digest
 * asked for), the blobs stream through in constant memory and are verified by the target.
 *
 * <p>Order, so that nothing a client can reach is incomplete: blobs before the manifest that
 * references them, index children before the index, the tag last; referrers after their subject.
 * What the target holds already is not fetched again (a blob or a manifest by digest), so a run
 * killed mid-way continues where it stopped; a blob cut off mid-way restarts from its beginning.
 *
 * <p>An index whose source {@linkplain SyncSource#holdsPartialIndexes holds it without some of
 * its children} (a repository of this server that synced it with a platforms filter) is copied
 * with the children the source has; those it lacks are passed to the target as left out, like
 * the ones this copy's own platform filter leaves out. The target decides: a repository of this
 * server stores the index, a registry that checks an index's children refuses it
 * ({@link io.wharf.proxy.RegistryTarget} says which platforms are missing and why).
 *
 * <p>Rate limits are the source's business: a {@link PausingSource} around it waits out a
 * {@code 429} and retries, so the copy sees only answers.
 *
 * <p>One copier serves one run (its parallel copies may share it). Use:
 *
 * <pre>{@code
 * SyncReport report = new SyncReport("hub-base-images", clock.instant());
 * SyncSource source = new PausingSource(registrySource, report, clock, PausingSource.Pauser.SLEEP);
 * ImageCopier copier = new ImageCopier(source, new HostedTarget(mirror), report);
 * copier.copyTag("library/alpine", "3.20", "base/alpine", ImageCopier.Options.ALL);
 * }</pre>
 *
 * <p>{@link SyncRun} does this for every image a rule's {@link SyncContent} selects.
 */
public final class ImageCopier {
  private static final ObjectMapper JSON = JsonMapper.builder().build();
  /**
   * What to copy besides the image itself.
   *
   * @param platforms the platforms of an index to keep; empty keeps every child
   * @param referrers whether to copy what the source lists as referrers of each copied manifest
   */
  public record Options(List<Platform> platforms, boolean referrers) {
    /** Every child of an index kept, no referrers: the image itself, whole. */
    public static final Options ALL = new Options(List.of(), false);

    /**
     * Copies {@code platforms}, so that later changes to the caller's list do not reach it.
     *
     * @param platforms the platforms of an index to keep; empty keeps every child; not null
     * @param referrers whether to copy what the source lists as referrers of each copied manifest
     */
    public Options {
      platforms = List.copyOf(platforms);
    }
  }

  private final SyncSource source;
  private final SyncTarget target;
  private final SyncReport report;
  private final Bandwidth bandwidth;

  /**
   * A copier for one run between one source and one target.
   *
   * @param source where images are read; wrapped in a {@link PausingSource} by the caller where a
   *     {@code 429} should pause the run rather than fail the image
   * @param target where images are written
   * @param report counts the manifests and blobs copied and the blobs skipped; images and failures
   *     are counted by {@link SyncRun}, from {@link #copyTag}'s answer
   */
  public ImageCopier(SyncSource source, SyncTarget target, SyncReport report) {
    this(source, target, report, null);
  }

  /**
   * A copier whose blob reads are held to {@code bandwidth}. The copier keeps no state of its own
   * between calls, so the parallel copies of one run may share it when the source and the target
   * take calls from several threads.
   *
   * @param source where images are read
   * @param target where images are written
   * @param report counts the manifests and blobs copied and the blobs skipped
   * @param bandwidth the run's rate limit over blob bytes, or null for none
   */
  public ImageCopier(SyncSource source, SyncTarget target, SyncReport report, Bandwidth bandwidth) {
    this.source = source;
    this.target = target;
    this.report = report;
    this.bandwidth = bandwidth;
  }

  /**
   * The source does not have what was asked: the tag to copy, or a manifest or blob the image
   * references (a source that lists something it does not serve). The image is not copied; its
   * tag at the target is left as it was.
   */
  public static final class NotFoundException extends IOException {
    private static final long serialVersionUID = 1L;

    NotFoundException(String message) {
      super(message);
    }
  }

  /**
   * Copies {@code sourceName:tag} to {@code targetName:tag}. An image the target has under that
   * tag already is skipped (one {@code HEAD} at the source), but its referrers are still brought
   * up to date when {@code options} ask for them: a signature is often added after the image.
   *
   * @param sourceName the image's name at the source, e.g. {@code library/alpine}
   * @param tag the tag to copy; the target's tag of the same name points at the copy
   * @param targetName the image's name at the target, e.g. {@code base/alpine}
   * @param options the platforms to keep and whether to copy referrers
   * @return whether the image was copied ({@code false}: skipped, the target's tag points at that
   *     digest already)
   * @throws NotFoundException if the source has no such tag, or does not serve a manifest or blob
   *     the image references (an index child is left out instead where the source
   *     {@linkplain SyncSource#holdsPartialIndexes holds partial indexes})
   * @throws IOException if the source sent a manifest that does not match its digest or cannot be
   *     parsed, or if the source or the target fails; what was stored before stays, so a next run
   *     goes on from there
   * @throws RuntimeException as the source or target throws it: a {@link RateLimitedException} from
   *     a source not wrapped in a {@link PausingSource}, a refused write of the target
   *     ({@link io.wharf.core.error.RegistryException}), or an upstream's error
   */
  public boolean copyTag(String sourceName, String tag, String targetName, Options options) throws IOException {
    String image = sourceName + ":" + tag;
    Digest digest = source.manifestDigest(sourceName, tag)
        .orElseThrow(() -> new NotFoundException(source.describe() + " has no " + image));
    if (target.tagged(targetName, tag).equals(Optional.of(digest)) && target.hasManifest(targetName, digest)) {
      if (options.referrers()) {
        copyReferrers(sourceName, digest, targetName);
      }
      return false;
    }
    Fetched top = fetch(sourceName, digest);
    Set<Digest> leftOut = copyContent(sourceName, top, targetName, options);
    target.putManifest(targetName, tag, top.manifest.mediaType(), top.manifest.bytes(), leftOut);
    report.manifestCopied();
    if (options.referrers()) {
      copyReferrers(sourceName, digest, targetName);
    }
    return true;
  }

  private record Fetched(Manifest manifest, JsonNode json) {}

  /** A manifest by digest from the source, checked to be that digest's content. */
  private Fetched fetch(String name, Digest digest) throws IOException {
    return fetchIfServed(name, digest).orElseThrow(() -> notServed(name, digest));
  }

  private NotFoundException notServed(String name, Digest digest) {
    return new NotFoundException(source.describe() + " lists " + name + "@" + digest + " but does not serve it");
  }

  /** As {@link #fetch}, empty if the source does not serve that manifest. */
  private Optional<Fetched> fetchIfServed(String name, Digest digest) throws IOException {
    Optional<SyncSource.SourceManifest> served = source.manifest(name, digest.value());
    if (served.isEmpty()) {
      return Optional.empty();
    }
    SyncSource.SourceManifest m = served.get();
    if (!digest.matches(m.bytes())) {
      throw new IOException(source.describe() + " sent a manifest for " + name + "@" + digest
          + " whose content hashes to " + Digest.sha256(m.bytes()) + "; not copied");
    }
    Manifest parsed;
    JsonNode json;
    try {
      parsed = ManifestParser.parse(m.bytes(), m.mediaType());
      json = JSON.readTree(m.bytes());
    } catch (RuntimeException e) { // RegistryException or JacksonException: what a push would refuse
      throw new IOException(source.describe() + " sent a manifest for " + name + "@" + digest
          + " that cannot be stored: " + e.getMessage(), e);
    }
    return Optional.of(new Fetched(parsed, json));
  }

  /**
   * Copies what {@code fetched} references (blobs, or the kept children of an index) and returns
   * the index children left out: by the platform filter, or absent at a source that
   * {@linkplain SyncSource#holdsPartialIndexes holds partial indexes}.
   */
  private Set<Digest> copyContent(String sourceName, Fetched fetched, String targetName, Options options)
      throws IOException {
    Manifest m = fetched.manifest;
    if (!m.isIndex()) {
      for (Descriptor blob : blobsOf(m)) {
        copyBlob(sourceName, blob, targetName);
      }
      return Set.of();
    }
    Set<Digest> leftOut = new LinkedHashSet<>();
    JsonNode entries = fetched.json.get("manifests");
    for (int i = 0; i < m.children().size(); i++) {
      Descriptor child = m.children().get(i);
      JsonNode entry = entries == null ? null : entries.get(i);
      if (!keeps(options.platforms(), entry)) {
        leftOut.add(child.digest());
        continue;
      }
      if (!copyChild(sourceName, child.digest(), targetName, options)) {
        leftOut.add(child.digest()); // the source holds the index without it
      }
    }
    return leftOut;
  }

  /**
   * An index child stored under its digest, with its content first; {@code false} if the source
   * holds partial indexes and does not have this child (nor does the target).
   */
  private boolean copyChild(String sourceName, Digest digest, String targetName, Options options) throws IOException {
    if (!target.hasManifest(targetName, digest)) {
      Optional<Fetched> served = fetchIfServed(sourceName, digest);
      if (served.isEmpty() && source.holdsPartialIndexes()) {
        return false;
      }
      Fetched child = served.orElseThrow(() -> notServed(sourceName, digest));
      Set<Digest> leftOut = copyContent(sourceName, child, targetName, options);
      target.putManifest(targetName, digest.value(), child.manifest.mediaType(), child.manifest.bytes(), leftOut);
      report.manifestCopied();
    }
    if (options.referrers()) {
      copyReferrers(sourceName, digest, targetName);
    }
    return true;
  }

  /**
   * The referrers the source lists for {@code subject} that the target lacks, with everything
   * they reference. Referrers of referrers are not followed; a listed referrer the source does
   * not serve is left out.
   */
  private void copyReferrers(String sourceName, Digest subject, String targetName) throws IOException {
    for (Digest r : new LinkedHashSet<>(source.referrers(sourceName, subject))) {
      if (target.hasManifest(targetName, r)) {
        continue;
      }
      Fetched referrer;
      try {
        referrer = fetch(sourceName, r);
      } catch (NotFoundException dangling) {
        continue; // listed but gone: the listing is no evidence
      }
      if (!referrer.manifest.subject().map(s -> s.digest().equals(subject)).orElse(false)) {
        continue; // refers to something else
      }
      Set<Digest> leftOut = copyContent(sourceName, referrer, targetName, Options.ALL);
      target.putManifest(targetName, r.value(), referrer.manifest.mediaType(), referrer.manifest.bytes(), leftOut);
      report.manifestCopied();
    }
  }

  private static List<Descriptor> blobsOf(Manifest m) {
    Set<Digest> stored = new HashSet<>(m.storedBlobs());
    List<Descriptor> out = new java.util.ArrayList<>();
    m.config().filter(c -> stored.contains(c.digest())).ifPresent(out::add);
    for (Manifest.Layer l : m.layers()) {
      if (!l.isForeign()) {
        out.add(l.descriptor());
      }
    }
    return out;
  }

  /** Whether an index entry passes the platform filter: everything does without one. */
  static boolean keeps(List<Platform> platforms, JsonNode entry) {
    if (platforms.isEmpty()) {
      return true;
    }
    JsonNode p = entry == null ? null : entry.get("platform");
    if (p == null || !p.isObject()) {
      return false; // no platform named: not one of those asked for
    }
    String os = text(p, "os");
    String arch = text(p, "architecture");
    String variant = text(p, "variant");
    return platforms.stream().anyMatch(k -> k.matches(os, arch, variant));
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || !v.isString() ? null : v.asString();
  }

  private void copyBlob(String sourceName, Descriptor blob, String targetName) throws IOException {
    Digest d = blob.digest();
    if (target.hasBlob(targetName, d)) {
      report.blobSkipped();
      return;
    }
    try (SyncSource.SourceBlob body = source.blob(sourceName, d)
        .orElseThrow(() -> new NotFoundException(source.describe() + " does not serve blob " + d + " of " + sourceName))) {
      CountingInputStream counted = new CountingInputStream(bandwidth == null ? body.body()
          : bandwidth.limit(body.body()));
      target.putBlob(targetName, d, blob.size(), counted);
      report.blobCopied(counted.count);
    }
  }

  private static final class CountingInputStream extends FilterInputStream {
    long count;

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
