package io.wharf.storage.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageDriverContract;
import io.wharf.core.storage.StorageFullException;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import org.junit.jupiter.api.Test;

class InMemoryDriverTest extends StorageDriverContract {

  @Override
  protected StorageDriver newDriver() {
    return new InMemoryDriver();
  }

  @Test
  void reader_write_throwsNonWritable() throws Exception {
    driver.putContent("/a/b", new byte[] {1, 2, 3});

    try (SeekableByteChannel ch = driver.reader("/a/b")) {
      assertThatThrownBy(() -> ch.write(ByteBuffer.allocate(1))).isInstanceOf(NonWritableChannelException.class);
      assertThatThrownBy(() -> ch.truncate(0)).isInstanceOf(NonWritableChannelException.class);
    }
  }

  @Test
  void noLimit_reportsNoSpace() {
    assertThat(new InMemoryDriver().space()).isEmpty();
  }

  @Test
  void sizeLimit_aWriteBeyondIt_throwsStorageFull_andSpaceSaysWhatIsLeft() throws Exception {
    InMemoryDriver small = new InMemoryDriver(10_000);
    small.putContent("/a", new byte[6_000]);
    assertThat(small.space()).contains(new StorageDriver.Space(4_000, 10_000));

    assertThatThrownBy(() -> small.putContent("/b", new byte[5_000])).isInstanceOf(StorageFullException.class)
        .hasMessage("storage inmemory is full: 3.9 KiB free of 9.7 KiB");
    small.putContent("/a", new byte[9_000]); // replacing counts only the difference
    StorageDriver.FileWriter w = small.writer("/c", false);
    w.stream().write(new byte[1_000]);
    assertThatThrownBy(() -> w.stream().write(new byte[1])).isInstanceOf(StorageFullException.class);
    assertThat(small.space().orElseThrow().freeBytes()).isZero();

    w.cancel();
    small.move("/a", "/d");
    assertThat(small.usedBytes()).isEqualTo(9_000);
    small.delete("/d");
    assertThat(small.space()).contains(new StorageDriver.Space(10_000, 10_000));
  }

  @Test
  void sizeLimit_mustBePositive() {
    assertThatThrownBy(() -> new InMemoryDriver(0)).hasMessageContaining("positive");
  }
}
