package io.wharf.core.testing;

import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.StorageDriver;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import java.util.Optional;

/** A driver that passes every call to another; tests override the calls they watch or disturb. */
public abstract class ForwardingDriver implements StorageDriver {
  protected final StorageDriver delegate;

  protected ForwardingDriver(StorageDriver delegate) {
    this.delegate = delegate;
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

  @Override
  public Optional<Space> space() throws IOException {
    return delegate.space();
  }
}
