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
  Descriptor descriptor();

  /**
   * Opens the bytes, positioned at 0. A filesystem-backed blob returns a {@link
   * java.nio.channels.FileChannel}, which the server serves without copying through the heap.
   */
  SeekableByteChannel open() throws IOException;

  /** Where a client may fetch the bytes directly instead (a presigned URL), if anywhere. */
  default Optional<URI> redirectUrl() throws IOException {
    return Optional.empty();
  }
}
