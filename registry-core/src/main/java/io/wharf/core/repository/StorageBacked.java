package io.wharf.core.repository;

import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;

/**
 * A repository whose images live in a {@link StorageDriver} in the {@link StorageLayout} (hosted
 * repositories, and a proxy's cache). Whatever reads images without going through the registry
 * API (an index for search, a report) walks them here; a group has no storage of its own.
 */
public interface StorageBacked {

  /**
   * The storage this repository's images live in (already path-checked).
   *
   * @return the storage
   */
  StorageDriver storage();

  /**
   * Where in {@link #storage()} its images are (its namespace).
   *
   * @return the layout of its namespace
   */
  StorageLayout layout();
}
