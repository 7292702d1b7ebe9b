package io.wharf.storage.gc;

import io.wharf.core.storage.StorageDriver;
import io.wharf.storage.memory.InMemoryDriver;

class InMemoryGarbageCollectorTest extends GarbageCollectorContract {
  @Override
  protected StorageDriver newDriver() {
    return new InMemoryDriver();
  }
}
