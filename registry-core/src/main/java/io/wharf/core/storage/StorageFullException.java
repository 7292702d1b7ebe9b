package io.wharf.core.storage;

import io.wharf.core.quota.Quota;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Thrown by a {@link StorageDriver} when the backend refused a write for lack of space (ENOSPC or
 * a disk quota on a filesystem, a configured size limit in memory, an S3-compatible server that
 * reports itself full), and by {@link StoreSpace} when an upload would eat into a blob store's
 * reserve of free space. Either way the server answers {@code 507 Insufficient Storage} with this
 * message, and the upload of that request is discarded.
 *
 * <p>The numbers are what the store reported when the write failed; {@code -1} where it cannot
 * tell (S3). {@link StoreSpace} rethrows a driver's exception with the blob store's name.
 */
public class StorageFullException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The blob store's name, or null. */
  private final String store;
  /** Free bytes when the write failed, or -1. */
  private final long freeBytes;
  /** Size of the store, or -1. */
  private final long totalBytes;
  /** The reserve the write would have eaten into, or 0. */
  private final long minFreeBytes;

  /**
   * A driver's report: {@code what} says where (a directory, a bucket); the numbers may be -1.
   *
   * @param what where the write failed, e.g. a directory or a bucket
   * @param freeBytes the free bytes, or -1 if unknown
   * @param totalBytes the store's size, or -1 if unknown
   * @param cause the backend's own exception, or null
   */
  public StorageFullException(String what, long freeBytes, long totalBytes, Throwable cause) {
    this(null, "storage " + what + " is full: " + numbers(freeBytes, totalBytes), freeBytes, totalBytes, 0, cause);
  }

  /**
   * A named store's report, with the message the client reads.
   *
   * @param store the blob store's name
   * @param message what the client reads
   * @param freeBytes the free bytes, or -1 if unknown
   * @param totalBytes the store's size, or -1 if unknown
   * @param minFreeBytes the reserve the write would have eaten into; 0 if the store itself ran out
   * @param cause the driver's exception, or null
   */
  public StorageFullException(String store, String message, long freeBytes, long totalBytes, long minFreeBytes,
      Throwable cause) {
    super(message, cause);
    this.store = store;
    this.freeBytes = freeBytes;
    this.totalBytes = totalBytes;
    this.minFreeBytes = minFreeBytes;
  }

  /** {@return the blob store's name; null while only the driver knows of the failure} */
  public String store() {
    return store;
  }

  /** {@return free bytes when the write failed, or -1 if the backend does not say} */
  public long freeBytes() {
    return freeBytes;
  }

  /** {@return size of the store, or -1 if the backend does not say} */
  public long totalBytes() {
    return totalBytes;
  }

  /** {@return the reserve the write would have eaten into; 0 when the store itself ran out} */
  public long minFreeBytes() {
    return minFreeBytes;
  }

  /**
   * {@return the {@code detail} of the error envelope: the numbers a client or an operator may act
   * on}
   */
  public Map<String, Object> detail() {
    Map<String, Object> detail = new LinkedHashMap<>();
    if (store != null) {
      detail.put("store", store);
    }
    if (freeBytes >= 0) {
      detail.put("freeBytes", freeBytes);
    }
    if (totalBytes >= 0) {
      detail.put("totalBytes", totalBytes);
    }
    if (minFreeBytes > 0) {
      detail.put("minFreeBytes", minFreeBytes);
    }
    return detail;
  }

  /** {@code 3.2 MiB free of 20 MiB}, or what of it is known. */
  static String numbers(long free, long total) {
    if (free < 0) {
      return "the backend does not say how much space is free";
    }
    return Quota.format(free) + " free" + (total >= 0 ? " of " + Quota.format(total) : "");
  }
}
