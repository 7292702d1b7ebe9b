package io.wharf.core.storage;

/** Path string helpers for code that walks the layout. */
final class StorageLayoutPaths {
  private StorageLayoutPaths() {}

  /** {@code /a/b/c} -> {@code /a/b}. */
  static String parent(String path) {
    return path.substring(0, path.lastIndexOf('/'));
  }
}
