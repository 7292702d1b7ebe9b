package io.wharf.core.upload;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.common.util.concurrent.Striped;
import io.wharf.core.error.ErrorCode;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.storage.BlobStore;
import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.PathNotFoundException;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.locks.Lock;
import java.util.regex.Pattern;

/**
 * Blob uploads, kept in storage as {@code _uploads/<id>} so that an upload survives a restart and
 * can continue on another node that shares the storage.
 *
 * <p>An upload is one file from start to finish: created empty by {@link #start}, appended to by
 * each chunk, and moved into the blob store when its digest checks out. Its size is the upload's
 * offset and its id says when it started ({@link UploadIds}), so there is no other bookkeeping to
 * write or delete. That matters for pushes of many small blobs, where creating and deleting files
 * (inodes) is most of the storage work.
 *
 * <p>Bytes are hashed while they are written. The running SHA-256 state is kept in this JVM as
 * an optimisation only ({@link MessageDigest} state cannot be persisted): when the upload is
 * finished on the node that received its bytes, the digest is ready; anywhere else (after a
 * restart, on another node, for sha512) the data is read back once to compute it. Either way
 * the blob becomes visible only by an atomic move after its digest was verified.
 */
public final class UploadStore {
  private static final Pattern UPLOAD_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  private static final int COPY_BUFFER = 128 * 1024;

  /** Running hash of an upload's bytes [0, offset). */
  private record HashState(long offset, MessageDigest digest) {}

  private final StorageDriver driver;
  private final StorageLayout layout;
  private final BlobStore blobs;
  private final Cache<String, HashState> hashStates =
      CacheBuilder.newBuilder().maximumSize(4096).expireAfterAccess(Duration.ofHours(2)).build();
  private final Striped<Lock> locks = Striped.lock(64);

  /**
   * The uploads of the repository whose storage and layout these are.
   *
   * @param driver the storage, already path-checked
   * @param layout the repository's layout
   * @param blobs the repository's blobs, which finished uploads join
   */
  public UploadStore(StorageDriver driver, StorageLayout layout, BlobStore blobs) {
    this.driver = driver;
    this.layout = layout;
    this.blobs = blobs;
  }

  /**
   * Starts an upload into {@code image}: creates its (empty) data file.
   *
   * @param image the image the blob is for
   * @return the new upload
   * @throws IOException if storage fails
   */
  public UploadSession start(ImageName image) throws IOException {
    Instant now = Instant.now();
    String id = UploadIds.next(now);
    // Empty and not fsynced: an upload lost to a power cut is restarted by its client.
    driver.writer(layout.uploadData(image, id), false).close();
    hashStates.put(key(image, id), new HashState(0, Digest.newMessageDigest(Digest.SHA256)));
    return new UploadSession(image, id, 0, now);
  }

  /**
   * The upload's current state; {@code BLOB_UPLOAD_UNKNOWN} if there is no such upload.
   *
   * @param image the image the blob is for
   * @param id the upload's id
   * @return the upload
   * @throws io.wharf.core.error.RegistryException {@code BLOB_UPLOAD_UNKNOWN}
   * @throws IOException if storage fails
   */
  public UploadSession status(ImageName image, String id) throws IOException {
    if (id == null || !UPLOAD_ID.matcher(id).matches()) {
      throw unknown(id);
    }
    // A directory there is an upload of distribution's layout (or an older Wharf's): not resumable.
    FileInfo data = driver.stat(layout.uploadData(image, id)).filter(f -> !f.directory()).orElseThrow(() -> unknown(id));
    return new UploadSession(image, id, data.size(), UploadIds.startedAt(id).orElse(data.modified()));
  }

  /**
   * Appends a chunk. A chunk that does not start where the upload ends is refused with
   * {@code RANGE_INVALID} (416) before anything is written.
   *
   * @param image the image the blob is for
   * @param id the upload's id
   * @param body the chunk's bytes; read to its end
   * @param chunk where the client says the chunk goes, and how long it is
   * @return the upload, with the bytes it holds now
   * @throws io.wharf.core.error.RegistryException {@code BLOB_UPLOAD_UNKNOWN}, {@code
   *     RANGE_INVALID}, {@code SIZE_INVALID}
   * @throws IOException if storage or reading the body fails
   */
  public UploadSession append(ImageName image, String id, InputStream body, Chunk chunk) throws IOException {
    Lock lock = locks.get(key(image, id));
    lock.lock();
    try {
      UploadSession session = status(image, id);
      try (StorageDriver.FileWriter w = write(session, body, chunk)) {
        return new UploadSession(image, id, w.size(), session.startedAt());
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Appends the last chunk (may be empty), verifies the whole upload against {@code expected},
   * links it into the image and moves it into the blob store. On a digest mismatch the upload is
   * discarded and nothing is stored.
   *
   * @param image the image the blob is for
   * @param id the upload's id
   * @param body the last chunk's bytes, possibly none; read to its end
   * @param chunk where the client says the chunk goes, and how long it is
   * @param expected the digest the client says the blob has
   * @return the stored blob
   * @throws io.wharf.core.error.RegistryException {@code DIGEST_INVALID} on a mismatch, {@code
   *     BLOB_UPLOAD_UNKNOWN}, {@code RANGE_INVALID}, {@code SIZE_INVALID}
   * @throws IOException if storage or reading the body fails
   */
  public Descriptor finish(ImageName image, String id, InputStream body, Chunk chunk, Digest expected)
      throws IOException {
    String key = key(image, id);
    Lock lock = locks.get(key);
    lock.lock();
    try {
      UploadSession session = status(image, id);
      long size;
      boolean verified = false;
      try (StorageDriver.FileWriter w = write(session, body, chunk)) {
        size = w.size();
        if (hasHashState(key, size, expected.algorithm())) {
          Digest actual = digestOf(image, id, size, expected.algorithm());
          if (!actual.equals(expected)) {
            w.cancel(); // before the writer closes: closing must not persist what is refused
          }
          // checked before the fsync: a refused upload costs no disk flush
          verify(image, id, size, expected, actual);
          verified = true;
        }
        w.commit();
      }
      if (!verified) {
        // hashed elsewhere (another node, before a restart): read the committed bytes back
        verify(image, id, size, expected, digestOf(image, id, size, expected.algorithm()));
      }
      // Link first, then move the bytes in (replacing any copy): a garbage collection that is
      // deleting an old copy of the same blob either sees this link or finds these bytes in place.
      blobs.link(image, expected);
      blobs.commit(layout.uploadData(image, id), expected); // a move: nothing of the upload is left
      hashStates.invalidate(key);
      return new Descriptor(null, expected, size);
    } finally {
      lock.unlock();
    }
  }

  private boolean hasHashState(String key, long size, String algorithm) {
    HashState state = hashStates.getIfPresent(key);
    return state != null && state.offset() == size && state.digest().getAlgorithm().equals(jcaName(algorithm));
  }

  /**
   * On a mismatch of the upload's {@code actual} digest with {@code expected}, discards the upload
   * and throws. ({@link #digestOf} finishes the running hash: call it once per upload.)
   */
  private void verify(ImageName image, String id, long size, Digest expected, Digest actual) throws IOException {
    if (!actual.equals(expected)) {
      discard(image, id);
      throw ErrorCode.DIGEST_INVALID.exception(
          "digest mismatch: the client said " + expected + " but the " + size + " bytes uploaded hash to " + actual,
          Map.of("expected", expected.value(), "actual", actual.value(), "size", size));
    }
  }


  /**
   * Discards an upload; {@code BLOB_UPLOAD_UNKNOWN} if there is no such upload.
   *
   * @param image the image the blob is for
   * @param id the upload's id
   * @throws io.wharf.core.error.RegistryException {@code BLOB_UPLOAD_UNKNOWN}
   * @throws IOException if storage fails
   */
  public void cancel(ImageName image, String id) throws IOException {
    status(image, id);
    discard(image, id);
  }

  private void discard(ImageName image, String id) throws IOException {
    hashStates.invalidate(key(image, id));
    driver.delete(layout.uploadData(image, id)); // quiet if a refusing writer already deleted it
  }

  /** Appends {@code body} and returns the still-open writer, positioned at the new end. */
  private StorageDriver.FileWriter write(UploadSession session, InputStream body, Chunk chunk) throws IOException {
    if (chunk.start() != Chunk.UNKNOWN && chunk.start() != session.size()) {
      throw ErrorCode.RANGE_INVALID.exception(
          "chunk starts at " + chunk.start() + " but the upload holds " + session.size()
              + " bytes; send the chunk that starts at " + session.size(),
          Map.of("uploaded", session.size()));
    }
    String key = key(session.image(), session.id());
    StorageDriver.FileWriter w = driver.writer(layout.uploadData(session.image(), session.id()), true);
    HashState state = hashStates.getIfPresent(key);
    hashStates.invalidate(key); // until the append completes, the state is not trustworthy
    MessageDigest md = state != null && state.offset() == w.size() ? state.digest() : null;
    try {
      OutputStream out = md != null ? new DigestOutputStream(w.stream(), md) : w.stream();
      long n = copy(body, out);
      out.flush();
      if (chunk.length() != Chunk.UNKNOWN && n != chunk.length()) {
        throw ErrorCode.SIZE_INVALID.exception(
            "the client declared " + chunk.length() + " bytes but sent " + n,
            Map.of("declared", chunk.length(), "received", n));
      }
      if (md != null) {
        hashStates.put(key, new HashState(w.size(), md));
      }
      return w;
    } catch (IOException | RuntimeException e) {
      w.close();
      throw e;
    }
  }

  /** The digest of the first {@code size} bytes of the upload: from the running state, or by reading. */
  private Digest digestOf(ImageName image, String id, long size, String algorithm) throws IOException {
    HashState state = hashStates.getIfPresent(key(image, id));
    if (state != null && state.offset() == size && state.digest().getAlgorithm().equals(jcaName(algorithm))) {
      return Digest.of(algorithm, state.digest().digest());
    }
    MessageDigest md = Digest.newMessageDigest(algorithm);
    ByteBuffer buf = ByteBuffer.allocate(COPY_BUFFER);
    try (SeekableByteChannel ch = driver.reader(layout.uploadData(image, id))) {
      while (ch.read(buf) >= 0) {
        buf.flip();
        md.update(buf);
        buf.clear();
      }
    } catch (PathNotFoundException e) {
      throw unknown(id);
    }
    return Digest.of(algorithm, md.digest());
  }

  private static String jcaName(String algorithm) {
    return Digest.SHA512.equals(algorithm) ? "SHA-512" : "SHA-256";
  }

  private static long copy(InputStream in, OutputStream out) throws IOException {
    byte[] buf = new byte[COPY_BUFFER];
    long total = 0;
    int n;
    while ((n = in.read(buf)) >= 0) {
      out.write(buf, 0, n);
      total += n;
    }
    return total;
  }

  private static String key(ImageName image, String id) {
    return image.value() + "@" + id;
  }

  private static RuntimeException unknown(String id) {
    return ErrorCode.BLOB_UPLOAD_UNKNOWN.exception("upload " + id + " is unknown or has expired");
  }
}
