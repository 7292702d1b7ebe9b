package io.wharf.storage.lifecycle;

import io.wharf.core.storage.StorageDriver;
import io.wharf.storage.s3.S3Driver;
import io.wharf.storage.s3.S3ProxyProcess;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The lifecycle contract on S3 (s3proxy on loopback), each test under a fresh key prefix. */
class S3LifecycleTest extends LifecycleContract {

  @RegisterExtension static final S3ProxyProcess S3 = new S3ProxyProcess();

  @Override
  protected StorageDriver newDriver() {
    return S3Driver.create(S3.config(S3ProxyProcess.uniquePrefix()).build());
  }

  /** S3 keeps modification times in whole seconds. */
  @Override
  protected Duration pushGap() {
    return Duration.ofMillis(1100);
  }

  @AfterEach
  void close() {
    ((S3Driver) driver).close();
  }
}
