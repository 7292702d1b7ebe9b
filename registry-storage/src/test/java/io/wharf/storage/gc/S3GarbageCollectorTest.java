package io.wharf.storage.gc;

import io.wharf.core.storage.StorageDriver;
import io.wharf.storage.s3.S3Driver;
import io.wharf.storage.s3.S3ProxyProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The collector's contract on S3 (s3proxy on loopback), each test under a fresh key prefix. */
class S3GarbageCollectorTest extends GarbageCollectorContract {

  @RegisterExtension static final S3ProxyProcess S3 = new S3ProxyProcess();

  @Override
  protected StorageDriver newDriver() {
    return S3Driver.create(S3.config(S3ProxyProcess.uniquePrefix()).build());
  }

  @AfterEach
  void close() {
    ((S3Driver) driver).close();
  }
}
