package io.wharf.core.storage;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Wraps any driver and validates every path before it reaches it, so drivers stay dumb and no
 * path built from client input can escape the driver's root ({@code ..} is not a valid segment).
 * {@link io.wharf.core.repository.Registry} wraps every driver it is given in one of these.
 */
public final class CheckedStorageDriver implements StorageDriver {
  private static final Pattern PATH = Pattern.compile("(/[A-Za-z0-9._-]+)+");

  private final StorageDriver delegate;

  private CheckedStorageDriver(StorageDriver delegate) {
    this.delegate = delegate;
  }

  /**
   * Wraps {@code driver}, unless it is already wrapped.
   *
   * @param driver a driver
   * @return a driver that rejects malformed paths with {@code IllegalArgumentException} before
   *     calling {@code driver}
   */
  public static StorageDriver wrap(StorageDriver driver) {
    return driver instanceof CheckedStorageDriver ? driver : new CheckedStorageDriver(driver);
  }

  static String check(String path) {
    if (path == null || !PATH.matcher(path).matches()) {
      throw new IllegalArgumentException("invalid storage path: " + path);
    }
    for (String segment : path.substring(1).split("/")) {
      if (segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException("invalid storage path: " + path);
      }
    }
    return path;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public Optional<FileInfo> stat(String path) throws IOException {
    return delegate.stat(check(path));
  }

  @Override
  public Optional<byte[]> getContent(String path) throws IOException {
    return delegate.getContent(check(path));
  }

  @Override
  public void putContent(String path, byte[] content) throws IOException {
    delegate.putContent(check(path), content);
  }

  @Override
  public SeekableByteChannel reader(String path) throws IOException {
    return delegate.reader(check(path));
  }

  @Override
  public FileWriter writer(String path, boolean append) throws IOException {
    return delegate.writer(check(path), append);
  }

  @Override
  public List<String> list(String dir) throws IOException {
    return delegate.list(check(dir));
  }

  @Override
  public void move(String from, String to) throws IOException {
    delegate.move(check(from), check(to));
  }

  @Override
  public void importFile(java.nio.file.Path local, String to) throws IOException {
    delegate.importFile(local, check(to));
  }

  @Override
  public void delete(String path) throws IOException {
    delegate.delete(check(path));
  }

  @Override
  public Optional<URI> redirectUrl(String path) throws IOException {
    return delegate.redirectUrl(check(path));
  }

  @Override
  public Optional<Space> space() throws IOException {
    return delegate.space();
  }

  @Override
  public String toString() {
    return "checked(" + delegate + ")";
  }
}
