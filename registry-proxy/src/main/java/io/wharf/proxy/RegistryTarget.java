package io.wharf.proxy;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.proxy.sync.RateLimitedException;
import io.wharf.proxy.sync.SyncTarget;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.InputStreamEntity;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A remote registry as the target of a push rule, through the proxy's {@link UpstreamClient}: the
 * same token dance (with the scope {@code repository:<name>:pull,push}), basic credentials,
 * outbound proxy, retries and timeouts as a proxy repository and a {@link RegistrySource}.
 *
 * <ul>
 *   <li>{@link #tagged} and {@link #hasManifest} ask with a {@code HEAD}; {@link #hasBlob} too, and
 *       where this target already saw the blob under another image of the registry (in this run),
 *       it asks the registry to mount it from there ({@code POST .../blobs/uploads/?mount=&from=},
 *       with a token that has {@code repository:<from>:pull} too); a registry that answers
 *       {@code 202} instead started an upload, which {@link #putBlob} uses.
 *   <li>{@link #putBlob} streams in constant memory: a {@code POST} to start an upload, then one
 *       {@code PUT} with the bytes, their {@code Content-Length} and the digest, which the registry
 *       checks.
 *   <li>{@link #putManifest} sends the exact bytes with their media type and checks the
 *       {@code Docker-Content-Digest} the registry answers. A manifest with a {@code subject} sent
 *       to a registry without the referrers API (no {@code OCI-Subject} in its answer) is added to
 *       the referrers tag schema's index ({@code sha256-<hex>}), as the distribution spec asks of
 *       clients, so that tools find the signature there.
 *       An index some of whose children were left out (synced with a platforms filter) is sent
 *       all the same: a registry may take it. One that refuses it (distribution, and Wharf over
 *       its API, check an index's children) fails it with its digest, the platforms it lacks
 *       (from its entries) and why.
 *   <li>{@link #deleteTag} removes a tag; where the registry cannot delete tags (distribution 2.x),
 *       the manifest the tag points at, and puts its other tags back.
 * </ul>
 *
 * <p>A {@code 401} or {@code 403} of the registry comes out as a
 * {@link io.wharf.core.error.RegistryException} naming the registry and the credentials' name,
 * never their secret; a {@code 429} as a {@link RateLimitedException}; a refused write (a digest
 * that does not match, an invalid manifest) as an {@link IOException} with the registry's message.
 *
 * <p>Built with {@link RegistrySource.Builder#buildTarget()}, e.g.
 * {@code RegistrySource.builder(URI.create("https://backup.example.com")).credentials(user, password)
 * .credentialsName("backup-push").buildTarget()}; one target serves one run (it remembers which
 * image holds which blob, for mounts) and may be used from one thread at a time. Close it to
 * release its connections.
 */
public final class RegistryTarget implements SyncTarget, Closeable {
  private static final ObjectMapper JSON = JsonMapper.builder().build();
  /** A tag of the referrers tag schema, {@code <algorithm>-<hex>}: kept by this target, not by the source. */
  private static final java.util.regex.Pattern REFERRERS_TAG = java.util.regex.Pattern.compile("[a-z0-9]+-[a-f0-9]{64}");

  private final UpstreamClient upstream;
  private final String credentialsName;
  private final Clock clock;
  /** A blob digest to an image of the registry known to hold it: where a mount comes from. */
  private final Map<Digest, String> holders = new ConcurrentHashMap<>();
  /** Uploads a mount attempt started instead ({@code 202}), by {@code name@digest}: putBlob sends to them. */
  private final Map<String, URI> startedUploads = new ConcurrentHashMap<>();

  RegistryTarget(UpstreamClient upstream, String credentialsName, Clock clock) {
    this.upstream = upstream;
    this.credentialsName = credentialsName;
    this.clock = clock;
  }

  @Override
  public String describe() {
    return upstream.host();
  }

  @Override
  public Optional<Digest> tagged(String name, String tag) throws IOException {
    UpstreamClient.WriteAnswer a = send("HEAD", name, "/v2/" + name + "/manifests/" + tag,
        Map.of("Accept", UpstreamClient.MANIFEST_ACCEPT), null);
    if (a.status() == 404 || a.status() == 400) {
      return Optional.empty();
    }
    expect(a, 200, "HEAD of " + name + ":" + tag);
    if (a.digest() != null) {
      return Optional.of(Digest.parse(a.digest().trim()));
    }
    // a registry that does not say: the bytes' digest is the answer
    return guarded(() -> upstream.getManifest(name, tag)).map(m -> Digest.sha256(m.bytes()));
  }

  @Override
  public boolean hasManifest(String name, Digest digest) throws IOException {
    UpstreamClient.WriteAnswer a = send("HEAD", name, "/v2/" + name + "/manifests/" + digest,
        Map.of("Accept", UpstreamClient.MANIFEST_ACCEPT), null);
    if (a.status() == 404 || a.status() == 400) {
      return false;
    }
    expect(a, 200, "HEAD of " + name + "@" + digest);
    return true;
  }

  @Override
  public boolean hasBlob(String name, Digest digest) throws IOException {
    UpstreamClient.WriteAnswer head = send("HEAD", name, "/v2/" + name + "/blobs/" + digest, Map.of(), null);
    if (head.status() == 200 || head.status() == 307) { // a redirect to the storage behind: it is there
      holders.putIfAbsent(digest, name);
      return true;
    }
    if (head.status() != 404) {
      expect(head, 200, "HEAD of blob " + digest + " in " + name);
    }
    String from = holders.get(digest);
    if (from == null || from.equals(name)) {
      return false;
    }
    // a token with from's pull scope too: a registry that checks it ignores the mount without it
    UpstreamClient.WriteAnswer mount = guarded(() -> upstream.write("POST", name, List.of(from), "/v2/" + name
        + "/blobs/uploads/?mount=" + encode(digest.value()) + "&from=" + encode(from), Map.of(),
        new ByteArrayEntity(new byte[0], null)));
    if (mount.status() == 201) {
      return true;
    }
    expect(mount, 202, "mounting blob " + digest + " from " + from + " into " + name);
    if (mount.location() != null) {
      startedUploads.put(name + "@" + digest, mount.location()); // no mount, but an upload to use
    }
    return false;
  }

  @Override
  public void putBlob(String name, Digest digest, long size, InputStream body) throws IOException {
    URI upload = startedUploads.remove(name + "@" + digest);
    if (upload == null) {
      UpstreamClient.WriteAnswer start = send("POST", name, "/v2/" + name + "/blobs/uploads/", Map.of(),
          new ByteArrayEntity(new byte[0], null));
      expect(start, 202, "starting the upload of blob " + digest + " to " + name);
      if (start.location() == null) {
        throw new IOException(describe() + " started an upload for " + name + " without a Location");
      }
      upload = start.location();
    }
    String url = upload.toString();
    url += (url.contains("?") ? "&" : "?") + "digest=" + encode(digest.value());
    // one PUT with the whole body, streamed from the source: constant memory, sent once
    InputStreamEntity entity = new InputStreamEntity(body, size, ContentType.APPLICATION_OCTET_STREAM);
    UpstreamClient.WriteAnswer done = send("PUT", name, url, Map.of(), entity);
    expect(done, 201, "uploading blob " + digest + " (" + size + " bytes) to " + name);
    holders.put(digest, name);
  }

  @Override
  public void putManifest(String name, String reference, String mediaType, byte[] bytes, Set<Digest> leftOutChildren)
      throws IOException {
    String type = mediaType != null ? mediaType : mediaTypeOf(bytes);
    Digest digest = Digest.sha256(bytes);
    UpstreamClient.WriteAnswer a = send("PUT", name, "/v2/" + name + "/manifests/" + reference,
        Map.of("Content-Type", type), new ByteArrayEntity(bytes, null));
    String image = name + (reference.contains(":") ? "@" : ":") + reference;
    if ((a.status() == 400 || a.status() == 404) && !leftOutChildren.isEmpty()) {
      throw new IOException(partialIndexRefused(image, digest, bytes, leftOutChildren, a));
    }
    expect(a, 201, "storing manifest " + image);
    if (a.digest() != null && !a.digest().trim().equals(digest.value())) {
      throw new IOException(describe() + " stored manifest " + name + ":" + reference + " as " + a.digest().trim()
          + ", not as " + digest + " (its bytes' digest): the registry changed it");
    }
    Optional<String> subject = subjectOf(bytes);
    if (subject.isPresent() && !a.subjectHeader()) {
      addToReferrersTag(name, Digest.parse(subject.get()), digest, type, bytes);
    }
  }

  /**
   * Lists the tags of one image at the registry, for {@code deleteMissing}: the tags it has that
   * the source no longer has. The referrers tag schema's tags ({@code sha256-<hex>}) this target
   * keeps itself are left out, so they are never deleted as missing at the source.
   *
   * @param name the image's name at the registry
   * @return the image's tags, or empty if the registry does not know the image
   * @throws IOException if the registry cannot be reached or refuses
   */
  @Override
  public Optional<List<String>> tags(String name) throws IOException {
    return guarded(() -> upstream.listTags(name))
        .map(tags -> tags.stream().filter(t -> !REFERRERS_TAG.matcher(t).matches()).toList());
  }

  /**
   * Deletes a tag at the registry; a tag that is not there is no error. Where the registry cannot
   * delete a tag alone (distribution 2.x answers {@code DIGEST_INVALID}, others {@code 405} or
   * {@code UNSUPPORTED}), the manifest the tag points at is deleted by its digest, and the other
   * tags of the image that pointed at it are put back (the same bytes, so the same digest).
   *
   * @param name the image's name at the registry
   * @param tag the tag to delete
   * @throws IOException if the registry refuses the delete (e.g. deletes are switched off), cannot
   *     be reached, or fails
   */
  @Override
  public void deleteTag(String name, String tag) throws IOException {
    UpstreamClient.WriteAnswer a = send("DELETE", name, "/v2/" + name + "/manifests/" + tag, Map.of(), null);
    boolean unsupported = a.status() == 405 || a.status() == 400
        || (a.message() != null && a.message().startsWith("UNSUPPORTED"));
    if (a.status() == 202 || a.status() == 200 || a.status() == 204 || (a.status() == 404 && !unsupported)) {
      return;
    }
    if (!unsupported) {
      expect(a, 202, "deleting " + name + ":" + tag);
      return;
    }
    Optional<Digest> at = tagged(name, tag);
    if (at.isEmpty()) {
      return;
    }
    UpstreamClient.UpstreamManifest m = guarded(() -> upstream.getManifest(name, at.get().value())).orElse(null);
    List<String> siblings = new java.util.ArrayList<>();
    for (String other : tags(name).orElse(List.of())) {
      if (!other.equals(tag) && tagged(name, other).equals(at)) {
        siblings.add(other);
      }
    }
    UpstreamClient.WriteAnswer byDigest = send("DELETE", name, "/v2/" + name + "/manifests/" + at.get(), Map.of(),
        null);
    if (byDigest.status() != 404) {
      expect(byDigest, 202, "deleting " + name + ":" + tag + " (by its digest " + at.get() + ")");
    }
    for (String other : siblings) {
      if (m != null) {
        putManifest(name, other, m.mediaType(), m.bytes(), Set.of());
      }
    }
  }

  /**
   * Releases the HTTP client's connections.
   *
   * @throws IOException if closing the client fails
   */
  @Override
  public void close() throws IOException {
    upstream.close();
  }

  /**
   * The referrers tag schema for a registry without the referrers API: the image index tagged
   * {@code sha256-<hex of subject>} lists the referrer; it is read, the entry added unless there,
   * and written back.
   */
  private void addToReferrersTag(String name, Digest subject, Digest referrer, String type, byte[] bytes)
      throws IOException {
    String tag = UpstreamClient.referrersTag(subject);
    Optional<UpstreamClient.UpstreamManifest> existing = guarded(() -> upstream.getManifest(name, tag));
    ObjectNode index;
    try {
      index = existing.isPresent() && JSON.readTree(existing.get().bytes()) instanceof ObjectNode o ? o
          : JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_INDEX);
    } catch (JacksonException unreadable) {
      index = JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_INDEX);
    }
    JsonNode list = index.get("manifests");
    ArrayNode manifests = list instanceof ArrayNode arr ? arr : index.putArray("manifests");
    for (JsonNode m : manifests) {
      if (m.get("digest") != null && referrer.value().equals(m.get("digest").asString())) {
        return; // listed already
      }
    }
    JsonNode parsed = JSON.readTree(bytes);
    ObjectNode entry = manifests.addObject().put("mediaType", type).put("digest", referrer.value())
        .put("size", bytes.length);
    JsonNode artifactType = parsed.get("artifactType");
    if (artifactType == null || !artifactType.isString()) {
      JsonNode config = parsed.get("config");
      artifactType = config == null ? null : config.get("mediaType");
    }
    if (artifactType != null && artifactType.isString()) {
      entry.put("artifactType", artifactType.asString());
    }
    if (parsed.get("annotations") instanceof ObjectNode annotations) {
      entry.set("annotations", annotations);
    }
    byte[] out = JSON.writeValueAsBytes(index);
    UpstreamClient.WriteAnswer a = send("PUT", name, "/v2/" + name + "/manifests/" + tag,
        Map.of("Content-Type", MediaTypes.OCI_INDEX), new ByteArrayEntity(out, null));
    expect(a, 201, "updating the referrers tag " + name + ":" + tag);
  }

  /**
   * Why the registry refused an index some of whose children were left out: they were never sent,
   * and a registry that checks an index's children (distribution, Wharf over its API) refuses it.
   * Names the index, the missing children's platforms as its entries state them, and the
   * registry's own answer.
   */
  private String partialIndexRefused(String image, Digest digest, byte[] bytes, Set<Digest> leftOut,
      UpstreamClient.WriteAnswer a) {
    List<String> missing = new java.util.ArrayList<>();
    try {
      JsonNode root = JSON.readTree(bytes);
      JsonNode entries = root == null ? null : root.get("manifests");
      for (JsonNode e : entries == null ? List.<JsonNode>of() : entries.values()) {
        JsonNode d = e.get("digest");
        if (d != null && d.isString() && leftOut.contains(Digest.parse(d.asString()))) {
          missing.add(platformOf(e).orElse(d.asString()));
        }
      }
    } catch (RuntimeException unreadable) { // JacksonException, or a digest that does not parse
      missing.clear();
    }
    if (missing.isEmpty()) {
      leftOut.forEach(d -> missing.add(d.value()));
    }
    return "index " + digest + " (" + image + ") not stored: it lacks " + String.join(", ", missing)
        + ", synced with a platforms filter; " + describe() + " refuses an index whose manifests it does not have ("
        + a.status() + (a.message() == null ? "" : " " + a.message()) + ")";
  }

  /** {@code os/architecture[/variant]} of an index entry, or empty if it names none. */
  private static Optional<String> platformOf(JsonNode entry) {
    JsonNode p = entry.get("platform");
    JsonNode os = p == null ? null : p.get("os");
    JsonNode arch = p == null ? null : p.get("architecture");
    if (os == null || arch == null || !os.isString() || !arch.isString()) {
      return Optional.empty();
    }
    JsonNode variant = p.get("variant");
    return Optional.of(os.asString() + "/" + arch.asString()
        + (variant != null && variant.isString() ? "/" + variant.asString() : ""));
  }

  private static Optional<String> subjectOf(byte[] bytes) {
    try {
      JsonNode root = JSON.readTree(bytes);
      JsonNode subject = root == null ? null : root.get("subject");
      JsonNode d = subject == null ? null : subject.get("digest");
      return d != null && d.isString() ? Optional.of(d.asString()) : Optional.empty();
    } catch (JacksonException unreadable) {
      return Optional.empty();
    }
  }

  private static String mediaTypeOf(byte[] bytes) {
    try {
      JsonNode root = JSON.readTree(bytes);
      JsonNode t = root == null ? null : root.get("mediaType");
      if (t != null && t.isString()) {
        return t.asString();
      }
      return root != null && root.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
    } catch (JacksonException unreadable) {
      return MediaTypes.OCI_MANIFEST;
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private void expect(UpstreamClient.WriteAnswer a, int status, String what) throws IOException {
    if (a.status() != status && !(status == 202 && a.status() == 201) && !(status == 201 && a.status() == 200)) {
      throw new IOException(describe() + " refused " + what + ": " + a.status()
          + (a.message() == null ? "" : " " + a.message()));
    }
  }

  private interface Call<T> {
    T call();
  }

  private <T> T guarded(Call<T> call) {
    try {
      return call.call();
    } catch (UpstreamException e) {
      throw translated(e);
    }
  }

  private UpstreamClient.WriteAnswer send(String method, String name, String pathOrUrl, Map<String, String> headers,
      org.apache.hc.core5.http.HttpEntity body) {
    return guarded(() -> upstream.write(method, name, pathOrUrl, headers, body));
  }

  /**
   * A {@code 429} becomes a {@link RateLimitedException}; a refusal names the registry and the
   * credentials' name; anything else stays the client's error.
   */
  private RuntimeException translated(UpstreamException e) {
    if (e.code() == ErrorCode.TOOMANYREQUESTS) {
      Object retryAfter = e.detail() instanceof Map<?, ?> detail ? detail.get("retryAfter") : null;
      return new RateLimitedException(e.getMessage(),
          RateLimitedException.parseRetryAfter(retryAfter == null ? null : retryAfter.toString(), clock.instant()));
    }
    if (e.code() == ErrorCode.UNAUTHORIZED || e.code() == ErrorCode.DENIED) {
      String who = credentialsName == null ? "anonymous access (no credentials configured)"
          : "credentials \"" + credentialsName + "\"";
      return new RegistryException(e.code(), "remote registry " + describe() + " refused " + who + ": "
          + e.getMessage(), Map.of("remote", describe()), e);
    }
    return e;
  }
}
