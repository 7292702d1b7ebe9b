package io.wharf.storage.gc;

import io.wharf.core.storage.StorageDriver;
import io.wharf.storage.fs.FilesystemDriver;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class FilesystemGarbageCollectorTest extends GarbageCollectorContract {
  @TempDir
  Path root;

  @Override
  protected StorageDriver newDriver() {
    return new FilesystemDriver(root);
  }
}
