package io.wharf.storage.lifecycle;

import io.wharf.core.storage.StorageDriver;
import io.wharf.storage.fs.FilesystemDriver;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class FilesystemLifecycleTest extends LifecycleContract {
  @TempDir
  Path root;

  @Override
  protected StorageDriver newDriver() {
    return new FilesystemDriver(root);
  }
}
