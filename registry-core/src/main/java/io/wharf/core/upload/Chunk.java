package io.wharf.core.upload;

/**
 * What a client declared about a chunk of upload bytes.
 *
 * @param start the first byte's offset from {@code Content-Range}, or {@link #UNKNOWN}: the
 *     chunk is appended wherever the upload ends (a "streamed" PATCH)
 * @param length the byte count from {@code Content-Range} / {@code Content-Length}, or
 *     {@link #UNKNOWN} (chunked transfer encoding)
 */
public record Chunk(long start, long length) {
  /** Not declared by the client. */
  public static final long UNKNOWN = -1;
  /** A body of unknown length appended at the end. */
  public static final Chunk STREAMED = new Chunk(UNKNOWN, UNKNOWN);

  /**
   * A body of {@code length} bytes appended at the end (a PATCH or PUT without {@code
   * Content-Range}).
   *
   * @param length the byte count, or {@link #UNKNOWN}
   * @return the chunk
   */
  public static Chunk ofLength(long length) {
    return new Chunk(UNKNOWN, length);
  }
}
