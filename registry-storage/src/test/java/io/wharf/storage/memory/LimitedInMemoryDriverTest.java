package io.wharf.storage.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageDriverContract;
import java.io.IOException;

/**
 * The driver contract on a memory driver with a (large) size limit; after every test the bytes
 * it counts against the limit must be the bytes it holds, whatever puts, writers, moves and
 * deletes the test did.
 */
class LimitedInMemoryDriverTest extends StorageDriverContract {

  @Override
  protected StorageDriver newDriver() {
    return new InMemoryDriver(1L << 30);
  }

  @Override
  protected void closeDriver(StorageDriver driver) throws Exception {
    assertThat(((InMemoryDriver) driver).usedBytes()).as("bytes counted against the limit")
        .isEqualTo(held(driver, "/"));
  }

  private static long held(StorageDriver driver, String dir) throws IOException {
    long sum = 0;
    for (String child : driver.list(dir)) {
      FileInfo info = driver.stat(child).orElseThrow();
      sum += info.directory() ? held(driver, child) : info.size();
    }
    return sum;
  }
}
