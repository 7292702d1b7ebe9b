package io.wharf.storage.memory;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageDriverContract;
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
}
