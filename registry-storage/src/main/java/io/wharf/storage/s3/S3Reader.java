package io.wharf.storage.s3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Reads with ranged GETs, opened lazily at the current position and kept open while reads are
 * sequential. Every GET carries If-Match with the ETag seen at open, so an object replaced while
 * it is read fails the read instead of mixing two versions.
 */
final class S3Reader implements SeekableByteChannel {
  private final S3Driver driver;
  private final String key;
  private final long size;
  private final String etag;
  private long position;
  private ResponseInputStream<GetObjectResponse> in;
  private long inPosition;
  private byte[] scratch; // for direct buffers only
  private boolean open = true;

  S3Reader(S3Driver driver, String key, long size, String etag) {
    this.driver = driver;
    this.key = key;
    this.size = size;
    this.etag = etag;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    ensureOpen();
    if (!dst.hasRemaining()) {
      return 0;
    }
    if (position >= size) {
      return -1;
    }
    if (in == null || inPosition != position) {
      reopen();
    }
    int n;
    if (dst.hasArray()) {
      n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
      if (n > 0) {
        dst.position(dst.position() + n);
      }
    } else {
      if (scratch == null) {
        scratch = new byte[64 * 1024];
      }
      n = in.read(scratch, 0, Math.min(scratch.length, dst.remaining()));
      if (n > 0) {
        dst.put(scratch, 0, n);
      }
    }
    if (n < 0) {
      closeStream();
      throw new IOException("s3: " + key + " ended at " + position + " of " + size + " bytes");
    }
    position += n;
    inPosition += n;
    return n;
  }

  private void reopen() throws IOException {
    closeStream();
    long from = position;
    in = driver.io("read", key, () -> {
      try {
        return driver.s3.getObject(b -> b.bucket(driver.bucket).key(key).range("bytes=" + from + "-").ifMatch(etag));
      } catch (S3Exception e) {
        if (e.statusCode() == 412 || e.statusCode() == 404) {
          throw new IOException("s3: " + key + " was replaced or deleted while being read", e);
        }
        throw e;
      }
    });
    inPosition = from;
  }

  private void closeStream() {
    if (in != null) {
      // At the end the connection goes back to the pool; before it, abort rather than drain.
      if (inPosition < size) {
        in.abort();
      }
      try {
        in.close();
      } catch (IOException | RuntimeException ignored) {
        // an aborted stream may complain on close; nothing is lost
      }
      in = null;
    }
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public long position() throws IOException {
    ensureOpen();
    return position;
  }

  @Override
  public SeekableByteChannel position(long newPosition) throws IOException {
    ensureOpen();
    if (newPosition < 0) {
      throw new IllegalArgumentException("negative position " + newPosition);
    }
    position = newPosition; // the stream reopens lazily at the next read
    return this;
  }

  @Override
  public long size() throws IOException {
    ensureOpen();
    return size;
  }

  @Override
  public SeekableByteChannel truncate(long size) {
    throw new NonWritableChannelException();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    open = false;
    closeStream();
  }

  private void ensureOpen() throws ClosedChannelException {
    if (!open) {
      throw new ClosedChannelException();
    }
  }
}
