package io.wharf.server.http;

/** {@link FullStoreContract} on a memory store with a 20 MiB size limit: runs everywhere. */
class InMemoryFullStoreTest extends FullStoreContract {
  @Override
  protected String storeKeys() {
    return "type: memory, maxSize: 20MiB";
  }
}
