package io.wharf.storage.s3;

import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageDriverContract;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The storage driver contract against s3proxy on loopback, each test under a fresh key prefix. */
class S3DriverTest extends StorageDriverContract {

  @RegisterExtension static final S3ProxyProcess S3 = new S3ProxyProcess();

  @Override
  protected StorageDriver newDriver() {
    return S3Driver.create(S3.config(S3ProxyProcess.uniquePrefix()).build());
  }

  @Override
  protected void closeDriver(StorageDriver driver) {
    ((S3Driver) driver).close();
  }
}
