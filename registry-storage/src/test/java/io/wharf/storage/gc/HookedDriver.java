package io.wharf.storage.gc;

import io.wharf.core.storage.StorageDriver;
import io.wharf.core.testing.ForwardingDriver;
import java.io.IOException;
import java.util.List;

/**
 * Delegates to a driver and runs hooks around some calls: a seam to act between GC phases (before
 * a {@code list}) or at an exact step of the sweep (before or after a {@code move}, before a
 * {@code delete}).
 */
final class HookedDriver extends ForwardingDriver {
  interface Hook {
    void beforeList(String dir) throws IOException;
  }

  /** Hooks on the calls that change storage; each does nothing unless overridden. */
  interface Events {
    default void beforeList(String dir) throws IOException {}

    default void beforeMove(String from, String to) throws IOException {}

    default void afterMove(String from, String to) throws IOException {}

    default void beforeDelete(String path) throws IOException {}
  }

  private final Events events;

  HookedDriver(StorageDriver delegate, Hook hook) {
    this(delegate, new Events() {
      @Override
      public void beforeList(String dir) throws IOException {
        hook.beforeList(dir);
      }
    });
  }

  HookedDriver(StorageDriver delegate, Events events) {
    super(delegate);
    this.events = events;
  }

  @Override
  public List<String> list(String dir) throws IOException {
    events.beforeList(dir);
    return delegate.list(dir);
  }

  @Override
  public void move(String from, String to) throws IOException {
    events.beforeMove(from, to);
    delegate.move(from, to);
    events.afterMove(from, to);
  }

  @Override
  public void delete(String path) throws IOException {
    events.beforeDelete(path);
    delegate.delete(path);
  }
}
