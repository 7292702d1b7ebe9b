package io.wharf.core.repository;

import io.wharf.core.model.Descriptor;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.util.Optional;

/**
 * A blob a repository can serve. Opening it is separate from finding it, so a {@code HEAD}
 * never touches the bytes.
 */
public interface Blob {
  /** {@return the blob's media type, digest and size} */
  Descriptor descriptor();

  /**
   * Opens the bytes, positioned at 0. A filesystem-backed blob returns a {@link
   * java.nio.channels.FileChannel}, which the server serves without copying through the heap.
   *
   * @return a new channel; the caller closes it
   * @throws IOException if storage fails
   */
  SeekableByteChannel open() throws IOException;

  /**
   * Where a client may fetch the bytes directly instead (a presigned URL), if anywhere.
   *
   * @return the URL, or empty to serve the bytes through Wharf (the default)
   * @throws IOException if storage fails
   */
  default Optional<URI> redirectUrl() throws IOException {
    return Optional.empty();
  }
}
