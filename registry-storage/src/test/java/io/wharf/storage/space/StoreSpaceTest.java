package io.wharf.storage.space;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageFullException;
import io.wharf.core.storage.StoreSpace;
import io.wharf.core.testing.ForwardingDriver;
import io.wharf.core.testing.MutableClock;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The reserve of free space of a blob store, on a memory driver with a size limit and a hand-moved clock. */
class StoreSpaceTest {
  static final long KIB = 1024;
  static final long MIB = 1024 * KIB;
  static final long GIB = 1024 * MIB;

  private final MutableClock clock = new MutableClock();
  private final InMemoryDriver memory = new InMemoryDriver(20 * MIB);
  /** Counts the readings of free space: they must be rare. */
  private final AtomicInteger readings = new AtomicInteger();
  private final StorageDriver counted = new ForwardingDriver(memory) {
    @Override
    public Optional<Space> space() throws IOException {
      readings.incrementAndGet();
      return super.space();
    }
  };

  private StoreSpace space() {
    return StoreSpace.builder("default", counted).clock(clock).build();
  }

  /** Takes space behind the store's back, as another process on the same disk. */
  private void takeOutside(long bytes) throws IOException {
    memory.putContent("/outside", new byte[Math.toIntExact(bytes)]);
  }

  @Test
  void defaultMinFree_isTheSmallerOf1GiBAnd5PercentOfTheStore() {
    assertThat(StoreSpace.defaultMinFree(20 * MIB)).isEqualTo(MIB);
    assertThat(StoreSpace.defaultMinFree(10 * GIB)).isEqualTo(512 * MIB);
    assertThat(StoreSpace.defaultMinFree(20 * GIB)).isEqualTo(GIB);
    assertThat(StoreSpace.defaultMinFree(4L << 40)).isEqualTo(GIB);
    assertThat(StoreSpace.defaultMinFree(0)).isZero();
  }

  @Test
  void minFree_defaultFromTheStoresSize_orAsConfigured() throws Exception {
    assertThat(space().minFreeBytes()).isEqualTo(MIB);
    assertThat(StoreSpace.builder("default", memory).minFree(3 * MIB).build().minFreeBytes()).isEqualTo(3 * MIB);
    assertThat(StoreSpace.builder("default", memory).minFree(0).build().minFreeBytes()).isZero();
    assertThat(StoreSpace.builder("s3", new InMemoryDriver()).build().minFreeBytes())
        .as("a driver that cannot tell how full it is has no reserve").isZero();
    assertThatThrownBy(() -> StoreSpace.builder("default", memory).minFree(-1)).hasMessageContaining("minFree");
  }

  @Test
  void requireRoom_aLengthThatWouldCrossTheReserve_refusedNamingTheStoreAndTheNumbers() throws Exception {
    StoreSpace space = space();
    space.requireRoom(19 * MIB); // leaves exactly the reserve

    assertThatThrownBy(() -> space.requireRoom(19 * MIB + 1))
        .isInstanceOfSatisfying(StorageFullException.class, e -> {
          assertThat(e.getMessage()).isEqualTo("blob store default is nearly full: 20 MiB free of 20 MiB, and uploads"
              + " must leave 1 MiB free (blobStores.default.minFree); this upload needs 19 MiB;"
              + " delete images and run garbage collection");
          assertThat(e.store()).isEqualTo("default");
          assertThat(e.detail()).containsEntry("freeBytes", 20 * MIB).containsEntry("totalBytes", 20 * MIB)
              .containsEntry("minFreeBytes", MIB);
        });
  }

  @Test
  void requireRoom_storeBelowItsReserve_refusesEvenAnEmptyUpload() throws Exception {
    takeOutside(19 * MIB + 512 * KIB);

    assertThatThrownBy(() -> space().requireRoom(0)).isInstanceOf(StorageFullException.class)
        .hasMessageStartingWith("blob store default is nearly full: 512 KiB free of 20 MiB");
  }

  @Test
  void requireRoom_minFreeZero_neverRefuses() throws Exception {
    takeOutside(20 * MIB);
    StoreSpace space = StoreSpace.builder("default", counted).minFree(0).build();

    space.requireRoom(GIB);
    assertThat(readings).hasValue(0);
  }

  @Test
  void freeSpace_readAtMostOnceASecond_andWritesThroughTheStoreCountAtOnce() throws Exception {
    StoreSpace space = space();
    for (int i = 0; i < 100; i++) {
      space.requireRoom(MIB);
    }
    assertThat(readings).hasValue(1);

    space.driver().putContent("/blob", new byte[Math.toIntExact(18 * MIB)]); // through the store: counted
    assertThatThrownBy(() -> space.requireRoom(2 * MIB)).isInstanceOf(StorageFullException.class);
    assertThat(readings).as("a refusal reads again first").hasValue(2);

    clock.advance(Duration.ofSeconds(1));
    space.requireRoom(MIB);
    assertThat(readings).hasValue(3);
  }

  @Test
  void spaceFreedMeanwhile_seenByTheNextRequest_noWait() throws Exception {
    StoreSpace space = space();
    space.driver().putContent("/blob", new byte[Math.toIntExact(19 * MIB)]);
    assertThatThrownBy(() -> space.requireRoom(MIB)).isInstanceOf(StorageFullException.class);

    memory.delete("/blob"); // garbage collection; the clock has not moved

    space.requireRoom(MIB);
  }

  @Test
  void meter_refusesTheReadThatWouldCrossTheReserve_beforeItsBytesAreWritten() throws Exception {
    StoreSpace space = space();
    byte[] body = new byte[Math.toIntExact(25 * MIB)];
    StorageDriver.FileWriter w = space.driver().writer("/upload", false);
    InputStream in = space.meter(new ByteArrayInputStream(body));
    byte[] buf = new byte[64 * 1024];
    OutputStream out = w.stream();

    assertThatThrownBy(() -> {
      for (int n; (n = in.read(buf)) >= 0; ) {
        out.write(buf, 0, n);
      }
    }).isInstanceOf(StorageFullException.class).hasMessageContaining("nearly full")
        .hasMessageNotContaining("this upload needs");
    assertThat(w.size()).isBetween(19 * MIB - buf.length, 19 * MIB);
    assertThat(memory.space().orElseThrow().freeBytes()).isGreaterThanOrEqualTo(MIB);
  }

  @Test
  void driver_outOfSpace_namesTheStoreAndItsFreeSpace() throws Exception {
    StoreSpace space = StoreSpace.builder("default", counted).minFree(0).build();
    takeOutside(20 * MIB - 3 * KIB);

    assertThatThrownBy(() -> space.driver().putContent("/manifest", new byte[4096]))
        .isInstanceOfSatisfying(StorageFullException.class, e -> {
          assertThat(e.getMessage()).isEqualTo(
              "blob store default is full: 3 KiB free of 20 MiB; delete images and run garbage collection");
          assertThat(e.store()).isEqualTo("default");
          assertThat(e.getCause()).isInstanceOf(StorageFullException.class);
        });
    StorageDriver.FileWriter w = space.driver().writer("/upload", false);
    assertThatThrownBy(() -> w.stream().write(new byte[8192])).isInstanceOf(StorageFullException.class)
        .hasMessageStartingWith("blob store default is full: ");
  }
}
