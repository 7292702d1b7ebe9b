package io.wharf.core.testing;

import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.StorageDriver;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A driver on which chosen files look older than they are ({@link #age}, {@link #ageAll}) until
 * they are written again: ages without sleeping, on every driver (the memory and S3 drivers cannot
 * set a modification time). Writers and the garbage collector see the same ages, as they would
 * see the same storage; a move carries the age along, as a rename keeps a file's time.
 */
public final class AgingDriver extends ForwardingDriver {
  private final Map<String, Duration> aged = new ConcurrentHashMap<>();

  public AgingDriver(StorageDriver delegate) {
    super(delegate);
  }

  /** Makes the file at {@code path} look {@code by} older. */
  public void age(String path, Duration by) {
    aged.merge(path, by, Duration::plus);
  }

  /** Makes every file under {@code dir} (recursively) look {@code by} older. */
  public void ageAll(String dir, Duration by) throws IOException {
    for (String child : delegate.list(dir)) {
      Optional<FileInfo> info = delegate.stat(child);
      if (info.isEmpty()) {
        continue;
      }
      if (info.get().directory()) {
        ageAll(child, by);
      } else {
        age(child, by);
      }
    }
  }

  /**
   * Makes every file under {@code dir} (recursively) look exactly {@code age} old at {@code now},
   * however long ago it was really written: for tests that must not depend on how fast the
   * machine wrote the files.
   */
  public void ageAllTo(String dir, Instant now, Duration age) throws IOException {
    for (String child : delegate.list(dir)) {
      Optional<FileInfo> info = delegate.stat(child);
      if (info.isEmpty()) {
        continue;
      }
      if (info.get().directory()) {
        ageAllTo(child, now, age);
      } else {
        aged.put(child, Duration.between(now.minus(age), info.get().modified()));
      }
    }
  }

  @Override
  public Optional<FileInfo> stat(String path) throws IOException {
    Duration by = aged.get(path);
    Optional<FileInfo> info = delegate.stat(path);
    return by == null ? info
        : info.map(i -> new FileInfo(i.path(), i.size(), i.modified().minus(by), i.directory()));
  }

  @Override
  public void putContent(String path, byte[] content) throws IOException {
    aged.remove(path);
    delegate.putContent(path, content);
  }

  @Override
  public FileWriter writer(String path, boolean append) throws IOException {
    aged.remove(path);
    return delegate.writer(path, append);
  }

  @Override
  public void move(String from, String to) throws IOException {
    Duration by = aged.remove(from);
    aged.remove(to);
    delegate.move(from, to);
    if (by != null) {
      aged.put(to, by);
    }
  }

  @Override
  public void delete(String path) throws IOException {
    aged.keySet().removeIf(p -> p.equals(path) || p.startsWith(path + "/"));
    delegate.delete(path);
  }
}
