package io.wharf.core.repository;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * A {@link Blob#open() blob channel} over a local file that is still being written: a proxy's
 * download in progress. The server uses it to hand the file's pages to the socket (memory
 * mapped, no copies through the heap) as soon as they are written, instead of reading them
 * through the channel.
 */
public interface GrowingFile {
  /**
   * The file, readable up to what {@link #awaitReadable} returned. Owned by the channel.
   *
   * @return the file
   */
  FileChannel file();

  /**
   * Blocks until bytes at {@code position} and beyond are readable, preferably at least
   * {@code wanted} of them, and returns the offset up to which the file may be read, or -1 at the
   * end. Throws if the writer failed (the blob must not be completed) or stalled.
   *
   * @param position the offset the caller wants to read from
   * @param wanted how many bytes the caller would like, at least
   * @return the offset up to which the file may be read, or -1 at the end
   * @throws IOException if the writer failed or stalled
   */
  long awaitReadable(long position, long wanted) throws IOException;
}
