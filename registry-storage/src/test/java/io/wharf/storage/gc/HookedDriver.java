package io.wharf.storage.gc;

import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.StorageDriver;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import java.util.Optional;

/** Delegates to a driver and runs a hook before every {@code list}: a seam to act between GC phases. */
final class HookedDriver implements StorageDriver {
  interface Hook {
    void beforeList(String dir) throws IOException;
  }

  private final StorageDriver delegate;
  private final Hook hook;

  HookedDriver(StorageDriver delegate, Hook hook) {
    this.delegate = delegate;
    this.hook = hook;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public Optional<FileInfo> stat(String path) throws IOException {
    return delegate.stat(path);
  }

  @Override
  public Optional<byte[]> getContent(String path) throws IOException {
    return delegate.getContent(path);
  }

  @Override
  public void putContent(String path, byte[] content) throws IOException {
    delegate.putContent(path, content);
  }

  @Override
  public SeekableByteChannel reader(String path) throws IOException {
    return delegate.reader(path);
  }

  @Override
  public FileWriter writer(String path, boolean append) throws IOException {
    return delegate.writer(path, append);
  }

  @Override
  public List<String> list(String dir) throws IOException {
    hook.beforeList(dir);
    return delegate.list(dir);
  }

  @Override
  public void move(String from, String to) throws IOException {
    delegate.move(from, to);
  }

  @Override
  public void delete(String path) throws IOException {
    delegate.delete(path);
  }
}
