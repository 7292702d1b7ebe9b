package io.wharf.storage.gc;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.manifest.Manifest;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.model.Reference;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.Blob;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/** Pushes and pulls images through a {@link HostedRepository}, as a client would, for the GC and lifecycle tests. */
public final class Images {
  private Images() {}

  /** A pushed manifest and every blob digest it needs (itself included). */
  public record Pushed(Digest manifest, long size, String mediaType, List<Digest> blobs) {
    public Descriptor descriptor() {
      return new Descriptor(mediaType, manifest, size);
    }
  }

  public static byte[] random(Random rnd, int size) {
    byte[] b = new byte[size];
    rnd.nextBytes(b);
    return b;
  }

  /** Uploads {@code bytes} into {@code image} (always, even if it is there). */
  public static Digest upload(HostedRepository repo, ImageName image, byte[] bytes) throws IOException {
    UploadSession s = repo.startUpload(image);
    Digest d = Digest.sha256(bytes);
    repo.finishUpload(image, s.id(), new ByteArrayInputStream(bytes), Chunk.STREAMED, d);
    return d;
  }

  /** Uploads {@code bytes} unless the image already serves them (the client's HEAD). */
  public static Digest ensure(HostedRepository repo, ImageName image, byte[] bytes) throws IOException {
    Digest d = Digest.sha256(bytes);
    if (repo.getBlob(image, d).isEmpty()) {
      upload(repo, image, bytes);
    }
    return d;
  }

  /** An OCI image manifest with a config and {@code layers}, pushed as {@code ref} (a tag or null: by digest). */
  public static Pushed pushImage(HostedRepository repo, ImageName image, String tag, List<byte[]> layers, Random rnd)
      throws IOException {
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":" + rnd.nextLong() + "}")
        .getBytes(StandardCharsets.UTF_8);
    List<Digest> blobs = new ArrayList<>();
    Digest c = ensure(repo, image, config);
    blobs.add(c);
    StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
        + "\"config\":" + desc(MediaTypes.OCI_CONFIG, c, config.length) + ",\"layers\":[");
    for (int i = 0; i < layers.size(); i++) {
      Digest l = ensure(repo, image, layers.get(i));
      blobs.add(l);
      json.append(i == 0 ? "" : ",").append(desc(MediaTypes.OCI_LAYER_TAR_GZIP, l, layers.get(i).length));
    }
    json.append("]}");
    return put(repo, image, tag, MediaTypes.OCI_MANIFEST, json.toString(), blobs);
  }

  /** An image manifest with a {@code subject} (a signature, an SBOM): a referrer. */
  public static Pushed pushReferrer(HostedRepository repo, ImageName image, Descriptor subject, Random rnd)
      throws IOException {
    byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
    byte[] layer = random(rnd, 300);
    Digest e = ensure(repo, image, empty);
    Digest l = ensure(repo, image, layer);
    String json = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
        + "\"artifactType\":\"application/vnd.example.signature\","
        + "\"config\":" + desc(MediaTypes.OCI_EMPTY, e, empty.length) + ","
        + "\"layers\":[" + desc("application/vnd.example.sig", l, layer.length) + "],"
        + "\"subject\":" + desc(subject.mediaType(), subject.digest(), subject.size()) + "}";
    return put(repo, image, null, MediaTypes.OCI_MANIFEST, json, new ArrayList<>(List.of(e, l)));
  }

  /** An OCI index of {@code children}, pushed as {@code tag}. */
  public static Pushed pushIndex(HostedRepository repo, ImageName image, String tag, List<Pushed> children)
      throws IOException {
    StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX
        + "\",\"manifests\":[");
    List<Digest> blobs = new ArrayList<>();
    for (int i = 0; i < children.size(); i++) {
      Pushed c = children.get(i);
      json.append(i == 0 ? "" : ",").append(desc(c.mediaType(), c.manifest(), c.size()));
      blobs.addAll(c.blobs());
    }
    json.append("]}");
    return put(repo, image, tag, MediaTypes.OCI_INDEX, json.toString(), blobs);
  }

  private static Pushed put(HostedRepository repo, ImageName image, String tag, String type, String json,
      List<Digest> blobs) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    Digest digest = Digest.sha256(body);
    Reference ref = tag == null ? digest : Tag.of(tag);
    repo.putManifest(image, ref, type, body);
    blobs.add(0, digest);
    return new Pushed(digest, body.length, type, List.copyOf(blobs));
  }

  private static String desc(String type, Digest d, long size) {
    return "{\"mediaType\":\"" + type + "\",\"digest\":\"" + d.value() + "\",\"size\":" + size + "}";
  }

  /**
   * Pulls {@code ref} with everything it references (index children recursively), verifying
   * every digest; returns the digests pulled (manifests included).
   */
  public static Set<Digest> assertPullsIntact(HostedRepository repo, ImageName image, Reference ref) throws IOException {
    Set<Digest> seen = new HashSet<>();
    pull(repo, image, ref, seen);
    return seen;
  }

  private static void pull(HostedRepository repo, ImageName image, Reference ref, Set<Digest> seen)
      throws IOException {
    Optional<Manifest> m = repo.getManifest(image, ref);
    assertThat(m).as("manifest %s of %s", ref, image).isPresent();
    assertThat(Digest.sha256(m.get().bytes())).isEqualTo(m.get().digest());
    seen.add(m.get().digest());
    if (m.get().config().isPresent()) {
      assertBlobIntact(repo, image, m.get().config().get().digest());
      seen.add(m.get().config().get().digest());
    }
    for (Manifest.Layer l : m.get().layers()) {
      assertBlobIntact(repo, image, l.descriptor().digest());
      seen.add(l.descriptor().digest());
    }
    for (Descriptor child : m.get().children()) {
      pull(repo, image, child.digest(), seen);
    }
    // The manifest's own bytes are a blob in storage too.
    assertThat(repo.storage().stat(blobPath(m.get().digest()))).as("blob of manifest %s", m.get().digest()).isPresent();
  }

  public static void assertBlobIntact(HostedRepository repo, ImageName image, Digest d) throws IOException {
    Optional<Blob> blob = repo.getBlob(image, d);
    assertThat(blob).as("blob %s of %s", d, image).isPresent();
    MessageDigest md = d.newMessageDigest();
    ByteBuffer buf = ByteBuffer.allocate(8192);
    try (SeekableByteChannel ch = blob.get().open()) {
      while (ch.read(buf) >= 0) {
        buf.flip();
        md.update(buf);
        buf.clear();
      }
    }
    assertThat(Digest.of(d.algorithm(), md.digest())).as("content of blob %s", d).isEqualTo(d);
  }

  public static String blobPath(Digest d) {
    return "/docker/registry/v2/blobs/" + d.algorithm() + "/" + d.hex().substring(0, 2) + "/" + d.hex() + "/data";
  }

  /** Every blob with data in storage. */
  public static Set<Digest> storedBlobs(StorageDriver driver) throws IOException {
    Set<Digest> out = new HashSet<>();
    for (String alg : driver.list("/docker/registry/v2/blobs")) {
      for (String prefix : driver.list(alg)) {
        for (String dir : driver.list(prefix)) {
          if (driver.stat(dir + "/data").isPresent()) {
            out.add(new Digest(last(alg), last(dir)));
          }
        }
      }
    }
    return out;
  }

  public static String last(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** As a client: upload what the image lacks, push the manifest, start over on MANIFEST_BLOB_UNKNOWN. */
  public static Pushed pushWithRetry(HostedRepository repo, ImageName image, String tag, List<byte[]> layers, Random r,
      AtomicInteger retries) throws IOException {
    for (int attempt = 0; ; attempt++) {
      try {
        return pushImage(repo, image, tag, layers, r);
      } catch (RegistryException e) {
        if (e.code() != ErrorCode.MANIFEST_BLOB_UNKNOWN || attempt == 5) {
          throw e;
        }
        retries.incrementAndGet();
      }
    }
  }
}
