package io.wharf.storage.fs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageDriverContract;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemDriverTest extends StorageDriverContract {

  @TempDir Path root;

  @Override
  protected StorageDriver newDriver() {
    return new FilesystemDriver(root);
  }

  @Test
  void list_tempFilePresent_isNotListed() throws Exception {
    driver.putContent("/a/b", "x".getBytes(UTF_8));
    Files.write(root.resolve("a/" + FilesystemDriver.TMP_PREFIX + "crashed"), new byte[10]);

    assertThat(driver.list("/a")).containsExactly("/a/b");
  }

  @Test
  void putContent_distributionPath_landsUnderRoot() throws Exception {
    driver.putContent("/docker/registry/v2/x", "hello".getBytes(UTF_8));

    assertThat(root.resolve("docker/registry/v2/x")).hasContent("hello");
  }

  @Test
  void putContent_newAndExistingPath_leavesNoTempFile() throws Exception {
    driver.putContent("/a/b/link", "one".getBytes(UTF_8));
    driver.putContent("/a/b/link", "two".getBytes(UTF_8));
    driver.putContent("/a/c", new byte[0]);

    try (Stream<Path> files = Files.walk(root)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(FilesystemDriver.TMP_PREFIX));
    }
  }

  @Test
  void reader_existingObject_isFileChannel() throws Exception {
    driver.putContent("/a/b", "x".getBytes(UTF_8));

    try (SeekableByteChannel ch = driver.reader("/a/b")) {
      assertThat(ch).isInstanceOf(FileChannel.class); // the server maps it
    }
  }
}
