package io.wharf.storage.lifecycle;

import io.wharf.core.storage.StorageDriver;
import io.wharf.core.testing.ForwardingDriver;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** Delegates to a driver and counts the writes and reads of paths under a prefix. */
final class CountingDriver extends ForwardingDriver {
  private final String prefix;
  final AtomicInteger writes = new AtomicInteger();
  final AtomicInteger reads = new AtomicInteger();

  CountingDriver(StorageDriver delegate, String prefix) {
    super(delegate);
    this.prefix = prefix;
  }

  @Override
  public Optional<byte[]> getContent(String path) throws IOException {
    if (path.startsWith(prefix)) {
      reads.incrementAndGet();
    }
    return delegate.getContent(path);
  }

  @Override
  public void putContent(String path, byte[] content) throws IOException {
    if (path.startsWith(prefix)) {
      writes.incrementAndGet();
    }
    delegate.putContent(path, content);
  }
}
