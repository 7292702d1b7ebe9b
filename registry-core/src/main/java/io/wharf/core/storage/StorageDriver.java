package io.wharf.core.storage;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import java.util.Optional;

/**
 * The SPI a storage backend implements: paths and bytes, nothing about manifests or tags.
 * Everything registry-shaped lives above it, in {@link StorageLayout} and the stores.
 *
 * <p><b>Paths</b> are absolute, {@code /}-separated, and match {@code ^(/[A-Za-z0-9._-]+)+$}
 * ({@link CheckedStorageDriver} enforces this for every driver, so drivers may assume it). The
 * driver maps them under its own root (a directory, a bucket prefix, a map).
 *
 * <p><b>Absence</b>: lookups of a single object return {@link Optional#empty()}; opening an
 * absent object for reading or moving an absent source throws {@link PathNotFoundException};
 * listing or deleting something absent is not an error.
 *
 * <p><b>Visibility</b>: {@link #putContent} and {@link #move} are atomic: a reader sees the old
 * object or the new one, never a part. Bytes written through a {@link FileWriter} may be visible
 * at its path before {@link FileWriter#commit()} (it is used for upload data, which only the
 * upload sees); they become durable at {@code commit()}, and registry-visible only when moved.
 *
 * <p><b>Threads</b>: implementations are safe for concurrent use. Two writers of the same path
 * race as the backend races (last rename wins); the registry only does that for content-addressed
 * paths, where both writers hold the same bytes.
 *
 * <p><b>Out of space</b>: a write that the backend refuses for lack of space (ENOSPC or a disk
 * quota, a size limit, an S3-compatible server that reports itself full) throws {@link
 * StorageFullException}, from whichever method or writer stream hit it, and never any other
 * exception for that cause: the registry answers it with {@code 507 Insufficient Storage} and
 * discards the upload that ran into it. A driver that can tell how full it is says so in {@link
 * #space()}; {@link StoreSpace} uses that to keep a reserve free for small writes.
 */
public interface StorageDriver {

  /**
   * A short name for logs and metrics, e.g. {@code filesystem}.
   *
   * @return the name
   */
  String name();

  /**
   * Size, modification time and kind of the object or directory at {@code path}, if it exists.
   *
   * @param path the path
   * @return what is there, or empty if nothing
   * @throws IOException if the backend fails
   */
  Optional<FileInfo> stat(String path) throws IOException;

  /**
   * The whole content of a small object (links, manifests), or empty if absent.
   *
   * @param path the object's path
   * @return its bytes, or empty
   * @throws IOException if the backend fails
   */
  Optional<byte[]> getContent(String path) throws IOException;

  /**
   * Writes a small object atomically, replacing any previous content. Creates parents.
   *
   * @param path the object's path
   * @param content the bytes
   * @throws StorageFullException if the backend is out of space
   * @throws IOException if the backend fails
   */
  void putContent(String path, byte[] content) throws IOException;

  /**
   * Opens an object for reading, positioned at 0. The caller positions and closes it. A
   * filesystem driver returns a {@link java.nio.channels.FileChannel}, which the server maps
   * or transfers without copying through the heap.
   *
   * @param path the object's path
   * @return a new channel; the caller closes it
   * @throws IOException if the backend fails
   * @throws PathNotFoundException if there is no object at {@code path}
   */
  SeekableByteChannel reader(String path) throws IOException;

  /**
   * Opens a writer at {@code path}. With {@code append} the writer continues an existing object
   * (this is how an upload resumes, possibly in another process); without it, any existing
   * object is truncated. Creates parents.
   *
   * @param path the object's path
   * @param append true to continue the existing object, false to start it afresh
   * @return the writer; the caller closes it
   * @throws IOException if the backend fails
   */
  FileWriter writer(String path, boolean append) throws IOException;

  /**
   * The direct children of directory {@code dir}, as full paths, sorted. Empty if {@code dir}
   * does not exist.
   *
   * @param dir the directory's path
   * @return the children's paths
   * @throws IOException if the backend fails
   */
  List<String> list(String dir) throws IOException;

  /**
   * Moves an object, replacing {@code to} if it exists. Atomic where the backend allows (a rename
   * on a filesystem). Creates the parents of {@code to}.
   *
   * @param from the object's path
   * @param to its new path
   * @throws IOException if the backend fails
   * @throws PathNotFoundException if there is no object at {@code from}
   */
  void move(String from, String to) throws IOException;

  /**
   * Deletes an object, or a directory and everything below it. Absent is not an error.
   *
   * @param path the path of an object or directory
   * @throws IOException if the backend fails
   */
  void delete(String path) throws IOException;

  /**
   * A URL from which a client may fetch the object directly (a presigned S3 URL), if the backend
   * offers one. The default is none: the registry serves the bytes itself.
   *
   * @param path the object's path
   * @return the URL, or empty
   * @throws IOException if the backend fails
   */
  default Optional<URI> redirectUrl(String path) throws IOException {
    return Optional.empty();
  }

  /**
   * The free and total space of the storage, if the backend can tell (a filesystem, a memory
   * driver with a size limit); empty otherwise (S3). Called at most about once a second per
   * store ({@link StoreSpace} caches it), so it may cost a system call.
   *
   * @return the space, or empty if the backend cannot tell
   * @throws IOException if the backend fails
   */
  default Optional<Space> space() throws IOException {
    return Optional.empty();
  }

  /**
   * What {@link #space()} reports: bytes free for new data, and the size of the storage.
   *
   * @param freeBytes the bytes free for new data
   * @param totalBytes the size of the storage in bytes
   */
  record Space(long freeBytes, long totalBytes) {}

  /**
   * Takes a complete local file (already fsynced by the caller) into storage at {@code to}, which
   * appears whole or not at all, replacing any object there; the local file is gone afterwards.
   * The default copies it through a writer beside {@code to} and moves that into place; a
   * filesystem driver renames the file instead when it is on the same filesystem, so a proxy's
   * download is written once.
   *
   * @param local the local file, which this method deletes
   * @param to the object's path
   * @throws StorageFullException if the backend is out of space
   * @throws IOException if the backend fails
   */
  default void importFile(java.nio.file.Path local, String to) throws IOException {
    String staging = to + ".import-" + java.util.UUID.randomUUID();
    try (FileWriter w = writer(staging, false)) {
      java.nio.file.Files.copy(local, w.stream());
      w.commit();
    } catch (IOException | RuntimeException e) {
      delete(staging);
      throw e;
    }
    move(staging, to);
    java.nio.file.Files.deleteIfExists(local);
  }

  /**
   * A writer for one object. {@link #close()} without {@link #commit()} keeps what was written
   * so far (so an upload can continue later); {@link #cancel()} deletes it.
   */
  interface FileWriter extends Closeable {
    /**
     * The stream to write to. Not thread-safe; one writer per stream.
     *
     * @return the stream; closing the writer closes it
     */
    OutputStream stream();

    /**
     * Bytes in the object so far, including what an appending writer found there.
     *
     * @return the byte count
     */
    long size();

    /**
     * Makes the written bytes durable (flush and fsync). The writer may be closed after it.
     *
     * @throws StorageFullException if the backend is out of space
     * @throws IOException if the backend fails
     */
    void commit() throws IOException;

    /**
     * Discards the object.
     *
     * @throws IOException if the backend fails
     */
    void cancel() throws IOException;
  }
}
