package io.wharf.storage.lifecycle;

import io.wharf.core.storage.StorageDriver;
import io.wharf.storage.memory.InMemoryDriver;

class InMemoryLifecycleTest extends LifecycleContract {
  @Override
  protected StorageDriver newDriver() {
    return new InMemoryDriver();
  }
}
