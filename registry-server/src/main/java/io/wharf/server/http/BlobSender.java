package io.wharf.server.http;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import io.wharf.core.repository.GrowingFile;
import org.eclipse.jetty.ee10.servlet.HttpOutput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes blob bytes to a response the cheapest way available. Measured on the target machine
 * (see DESIGN.md): a memory-mapped file handed to Jetty reaches 3.4-5.3 GB/s, a copy through heap
 * buffers 1.1-1.3 GB/s. So a file-backed blob is mapped in windows and each window is written as
 * one buffer; the window is unmapped as soon as Jetty has written it, which keeps the resident
 * set bounded by one window instead of growing with the blob. Anything else is copied.
 */
final class BlobSender {
  private static final Logger LOG = LoggerFactory.getLogger(BlobSender.class);
  /** Below this a plain heap copy is cheaper than setting up a mapping. */
  private static final long MAP_THRESHOLD = 256 * 1024;
  /** Mapped per write: large enough to amortise the syscalls, small enough to bound RSS. */
  private static final long MAP_WINDOW = 8L * 1024 * 1024;
  private static final int COPY_BUFFER = 128 * 1024;
  private static final Unmapper UNMAPPER = Unmapper.load();

  private BlobSender() {}

  /** A download in progress is handed to the socket in pieces of at least this much (or what is left). */
  private static final long GROWING_BATCH = 1024 * 1024;

  static void send(SeekableByteChannel channel, long start, long length, OutputStream out) throws IOException {
    if (length >= MAP_THRESHOLD && channel instanceof GrowingFile growing && out instanceof HttpOutput jetty) {
      sendGrowing(growing, start, length, jetty);
    } else if (length >= MAP_THRESHOLD && channel instanceof FileChannel file && out instanceof HttpOutput jetty) {
      sendMapped(file, start, length, jetty);
    } else {
      copy(channel, start, length, out);
    }
  }

  /** A file still being written (a proxy download): map and send what is there, wait, repeat. */
  private static void sendGrowing(GrowingFile growing, long start, long length, HttpOutput out) throws IOException {
    long position = start;
    long end = start + length;
    while (position < end) {
      long limit = growing.awaitReadable(position, Math.min(GROWING_BATCH, end - position));
      if (limit < 0) {
        throw new IOException("blob ended " + (end - position) + " bytes early");
      }
      long n = Math.min(Math.min(limit, end) - position, MAP_WINDOW);
      MappedByteBuffer window = growing.file().map(FileChannel.MapMode.READ_ONLY, position, n);
      try {
        out.write(window);
      } finally {
        UNMAPPER.unmap(window);
      }
      position += n;
    }
  }

  private static void sendMapped(FileChannel file, long start, long length, HttpOutput out) throws IOException {
    long position = start;
    long end = start + length;
    while (position < end) {
      long n = Math.min(MAP_WINDOW, end - position);
      MappedByteBuffer window = file.map(FileChannel.MapMode.READ_ONLY, position, n);
      try {
        out.write(window); // blocking: returns once Jetty is done with the buffer
      } finally {
        UNMAPPER.unmap(window);
      }
      position += n;
    }
  }

  private static void copy(SeekableByteChannel channel, long start, long length, OutputStream out) throws IOException {
    channel.position(start);
    byte[] array = new byte[(int) Math.min(COPY_BUFFER, Math.max(length, 1))];
    ByteBuffer buf = ByteBuffer.wrap(array);
    long remaining = length;
    while (remaining > 0) {
      buf.clear();
      if (remaining < buf.capacity()) {
        buf.limit((int) remaining);
      }
      int n = channel.read(buf);
      if (n < 0) {
        throw new IOException("blob ended " + remaining + " bytes early");
      }
      out.write(array, 0, n);
      remaining -= n;
    }
  }

  /**
   * Releases a mapping now rather than when the GC finds the buffer. Java 17 has no public API
   * for that; {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported) is what Lucene and
   * Netty use. Without it, mappings are released by the GC, which is correct but lets RSS grow.
   */
  private interface Unmapper {
    void unmap(MappedByteBuffer buffer);

    static Unmapper load() {
      try {
        Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
        Field f = unsafeClass.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        Object unsafe = f.get(null);
        Method invokeCleaner = unsafeClass.getMethod("invokeCleaner", ByteBuffer.class);
        return buffer -> {
          try {
            invokeCleaner.invoke(unsafe, buffer);
          } catch (ReflectiveOperationException e) {
            LOG.debug("could not unmap a blob window", e);
          }
        };
      } catch (ReflectiveOperationException | RuntimeException e) {
        LOG.info("mapped blob windows will be released by the GC: {}", e.toString());
        return buffer -> {};
      }
    }
  }
}
