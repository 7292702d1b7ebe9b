package io.wharf.storage.gc;

import static io.wharf.storage.gc.Images.blobPath;
import static io.wharf.storage.gc.Images.pushImage;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.gc.GarbageCollector;
import io.wharf.core.gc.GcReport;
import io.wharf.core.model.Digest;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.storage.StorageDriver;
import io.wharf.storage.gc.Images.Pushed;
import io.wharf.storage.memory.InMemoryDriver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class InMemoryGarbageCollectorTest extends GarbageCollectorContract {
  @Override
  protected StorageDriver newDriver() {
    return new InMemoryDriver();
  }

  /**
   * More candidates than one batch: each batch is trashed, settled by a walk, and the trash ends
   * empty. Here only: thousands of blobs cost the filesystem (fsync) and S3 drivers tens of seconds.
   */
  @Test
  void sweep_manyCandidates_goInBatches_trashEndsEmpty() throws Exception {
    HostedRepository repo = agedRepo();
    Pushed kept = pushImage(repo, OTHER, "1", layers(1, 100), rnd);
    int n = 1500; // more than GarbageCollector.SWEEP_BATCH_MIN
    for (int i = 0; i < n; i++) {
      byte[] b = ("garbage " + i).getBytes(StandardCharsets.UTF_8);
      aging.putContent(blobPath(Digest.sha256(b)), b);
    }
    aging.ageAll(ROOT, OLD);

    GcReport report = GarbageCollector.builder(aging).leaseSettle(Duration.ZERO).grace(Duration.ZERO).build().run();

    assertThat(report.blobsDeleted()).isEqualTo(n);
    assertThat(Images.storedBlobs(driver)).containsExactlyInAnyOrderElementsOf(kept.blobs());
    assertThat(driver.list(ROOT + "/_wharf/gc-trash")).isEmpty();
  }
}
