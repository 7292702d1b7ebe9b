package io.wharf.core.storage;

import java.io.IOException;

/** Thrown by a {@link StorageDriver} when an object that must exist does not. */
public class PathNotFoundException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * An exception naming {@code path}.
   *
   * @param path the path that does not exist
   */
  public PathNotFoundException(String path) {
    super("path not found: " + path);
  }
}
