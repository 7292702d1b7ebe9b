package io.wharf.server.admin;

import java.io.IOException;
import java.util.Objects;

/**
 * Nexus's blob store endpoints (administrators):
 * <pre>
 * GET /v1/blobstores                      every store: counts, sizes, free space, reserve
 * GET /v1/blobstores/{name}/quota-status  whether the store is below its reserve or a repository over its quota
 * </pre>
 */
final class BlobStoreEndpoints implements RestEndpoints {
  private final BlobStoreService stores;

  BlobStoreEndpoints(BlobStoreService stores) {
    this.stores = Objects.requireNonNull(stores);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    if (call.matches("v1", "blobstores")) {
      call.allow("GET");
      call.send(stores.list(call.caller()));
    } else if (call.matches("v1", "blobstores", "*", "quota-status")) {
      call.allow("GET");
      call.send(stores.quotaStatus(call.caller(), call.segment(2)));
    } else {
      return false;
    }
    return true;
  }
}
