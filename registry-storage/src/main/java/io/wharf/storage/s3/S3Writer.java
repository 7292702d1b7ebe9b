package io.wharf.storage.s3;

import io.wharf.core.storage.StorageDriver.FileWriter;
import io.wharf.storage.s3.S3Driver.Marker;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * An appendable, resumable writer of one object: a small object, or a multipart upload plus a tail
 * object with a marker. {@link S3Driver}'s class comment draws what each looks like in the bucket.
 * Not thread-safe.
 */
final class S3Writer implements FileWriter {
  private enum State { OPEN, DONE }

  private final S3Driver driver;
  private final String path;
  private final String key;
  private final OutputStream stream = new Stream();
  private final int partSize;
  private byte[] buffer; // the part buffer, partSize bytes, allocated at the first byte
  private int count; // bytes in buffer
  private String uploadId; // the multipart upload, once there is one
  private final List<CompletedPart> parts = new ArrayList<>();
  private long partsSize;
  private HeadObjectResponse base; // a committed object of >= partSize bytes we append to, not yet copied into parts
  private boolean dirty; // there is something for close() to persist
  private String replacedUploadId; // the multipart upload of the object this writer truncated
  private State state = State.OPEN;

  private S3Writer(S3Driver driver, String path, String key) {
    this.driver = driver;
    this.path = path;
    this.key = key;
    this.partSize = driver.config.partSize();
  }

  static S3Writer open(S3Driver driver, String path, String key, boolean append) throws IOException {
    S3Writer w = new S3Writer(driver, path, key);
    Optional<HeadObjectResponse> head = driver.head(key);
    Optional<Marker> marker = head.isPresent() ? Marker.of(key, head.get().metadata()) : Optional.empty();
    if (!append || head.isEmpty()) {
      // Truncating an upload in progress: its multipart upload is aborted once the new object
      // replaced its tail, so a writer that dies before that leaves the old upload intact.
      w.replacedUploadId = marker.map(Marker::uploadId).orElse(null);
      w.dirty = true; // even empty, the object exists after close
      return w;
    }
    HeadObjectResponse h = head.get();
    if (marker.isPresent()) {
      w.resume(marker.get());
      w.load(h);
    } else if (h.contentLength() >= w.partSize) {
      w.base = h; // copied server-side into a multipart upload only if bytes are appended
    } else {
      w.load(h);
    }
    return w;
  }

  /** Continues the multipart upload of the marker: parts 1..n, ignoring any left by a writer that died. */
  private void resume(Marker m) throws IOException {
    List<Part> listed = new ArrayList<>();
    try {
      for (ListPartsResponse page : driver.s3.listPartsPaginator(
          b -> b.bucket(driver.bucket).key(key).uploadId(m.uploadId()))) {
        listed.addAll(page.parts());
      }
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new IOException("s3: the multipart upload " + m.uploadId() + " of the upload in progress at " + path
            + " is gone (aborted, or expired by a lifecycle rule)", e);
      }
      throw e;
    }
    listed.sort(Comparator.comparing(Part::partNumber));
    long sum = 0;
    for (int i = 0; i < m.parts(); i++) {
      Part p = i < listed.size() ? listed.get(i) : null;
      if (p == null || p.partNumber() != i + 1) {
        throw new IOException("s3: part " + (i + 1) + " of the upload in progress at " + path + " is missing");
      }
      parts.add(CompletedPart.builder().partNumber(p.partNumber()).eTag(p.eTag()).build());
      sum += p.size();
    }
    if (sum != m.partsSize()) {
      throw new IOException("s3: the parts of the upload in progress at " + path + " hold " + sum
          + " bytes, its tail says " + m.partsSize());
    }
    uploadId = m.uploadId();
    partsSize = sum;
  }

  /** Streams the object's bytes (a small object, or a tail) into the buffer: they are not new. */
  private void load(HeadObjectResponse h) throws IOException {
    if (h.contentLength() == 0) {
      return;
    }
    ResponseInputStream<GetObjectResponse> in;
    try {
      in = driver.s3.getObject(b -> b.bucket(driver.bucket).key(key).ifMatch(h.eTag()));
    } catch (S3Exception e) {
      if (e.statusCode() == 412 || e.statusCode() == 404) {
        throw new IOException("s3: " + path + " changed while a writer opened it; retry", e);
      }
      throw e;
    }
    try (in) {
      long total = 0;
      while (true) {
        ensureBuffer();
        int n = in.read(buffer, count, buffer.length - count);
        if (n < 0) {
          break;
        }
        count += n;
        total += n;
        if (count == buffer.length) {
          flushPart();
        }
      }
      if (total != h.contentLength()) {
        throw new IOException("s3: read " + total + " of the " + h.contentLength() + " bytes of " + path);
      }
    }
  }

  @Override
  public OutputStream stream() {
    return stream;
  }

  @Override
  public long size() {
    return partsSize + (base == null ? 0 : base.contentLength()) + count;
  }

  /** The part buffer, for tests: one array of partSize bytes for the writer's whole life. */
  byte[] buffer() {
    return buffer;
  }

  String uploadId() {
    return uploadId;
  }

  @Override
  public void commit() throws IOException {
    ensureOpen();
    state = State.DONE; // a failed commit leaves the previous close's state, which is consistent
    driver.io("commit", key, () -> {
      if (uploadId == null && base == null) {
        if (dirty) {
          driver.s3.putObject(driver.putRequest(key, false).build(), S3Driver.body(bufferOrEmpty(), count));
        }
      } else if (uploadId != null || count > 0) {
        ensureMultipart();
        if (count > 0) {
          uploadPart(); // the last part may be small
        }
        driver.s3.completeMultipartUpload(b -> b.bucket(driver.bucket).key(key).uploadId(uploadId)
            .multipartUpload(m -> m.parts(parts)));
      } // else: appended nothing to a committed object, which is complete as it is
      return null;
    });
    buffer = null;
    abortReplaced();
  }

  @Override
  public void cancel() throws IOException {
    state = State.DONE;
    buffer = null;
    driver.io("cancel", key, () -> {
      if (uploadId != null) {
        driver.abortQuietly(key, uploadId);
      }
      driver.abortUploads(key, false); // and any a dead writer left
      driver.s3.deleteObject(b -> b.bucket(driver.bucket).key(key));
      return null;
    });
    abortReplaced();
  }

  /** Persists what was written: a small object, or the tail with its marker (the commit point). */
  @Override
  public void close() throws IOException {
    if (state != State.OPEN) {
      return;
    }
    state = State.DONE;
    if (!dirty) {
      buffer = null;
      return;
    }
    driver.io("close", key, () -> {
      if (uploadId == null && base == null) {
        driver.s3.putObject(driver.putRequest(key, false).build(), S3Driver.body(bufferOrEmpty(), count));
      } else {
        ensureMultipart();
        Marker marker = new Marker(uploadId, parts.size(), partsSize);
        driver.s3.putObject(driver.putRequest(key, true).metadata(marker.toMetadata()).build(),
            S3Driver.body(bufferOrEmpty(), count));
      }
      return null;
    });
    buffer = null;
    abortReplaced();
  }

  private void abortReplaced() {
    if (replacedUploadId != null && !replacedUploadId.equals(uploadId)) {
      driver.abortQuietly(key, replacedUploadId);
    }
    replacedUploadId = null;
  }

  private void ensureOpen() throws IOException {
    if (state != State.OPEN) {
      throw new IOException("s3: writer of " + path + " is closed");
    }
  }

  private void ensureBuffer() {
    if (buffer == null) {
      buffer = new byte[partSize];
    }
  }

  private byte[] bufferOrEmpty() {
    return buffer == null ? new byte[0] : buffer;
  }

  private void ensureMultipart() {
    if (uploadId != null) {
      return;
    }
    uploadId = driver.s3.createMultipartUpload(driver.createMultipartRequest(key).build()).uploadId();
    if (base != null) {
      // Appending to a committed large object: its bytes become the first parts, copied server-side.
      driver.copyParts(key, base, key, uploadId, parts);
      partsSize += base.contentLength();
      base = null;
    }
  }

  /** Uploads the full buffer as the next part; one part number stays free for the last part. */
  private void flushPart() throws IOException {
    if (parts.size() >= S3Driver.MAX_PARTS - 1) {
      throw new IOException("s3: " + path + " would need more than " + S3Driver.MAX_PARTS + " parts of " + partSize
          + " bytes; configure a larger partSize");
    }
    driver.io("upload part of", key, () -> {
      ensureMultipart();
      uploadPart();
      return null;
    });
  }

  private void uploadPart() {
    int number = parts.size() + 1;
    int len = count;
    String etag = driver.s3.uploadPart(b -> b.bucket(driver.bucket).key(key).uploadId(uploadId)
            .partNumber(number).contentLength((long) len),
        S3Driver.body(buffer, len)).eTag();
    parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
    partsSize += len;
    count = 0;
  }

  /** Buffers writes into parts. Closing it does nothing: the writer decides what to persist. */
  private final class Stream extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      ensureOpen();
      ensureBuffer();
      dirty = true;
      buffer[count++] = (byte) b;
      if (count == buffer.length) {
        flushPart();
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      ensureOpen();
      if (len > 0) {
        dirty = true;
      }
      while (len > 0) {
        ensureBuffer();
        int n = Math.min(len, buffer.length - count);
        System.arraycopy(b, off, buffer, count, n);
        count += n;
        off += n;
        len -= n;
        if (count == buffer.length) {
          flushPart();
        }
      }
    }
  }
}
