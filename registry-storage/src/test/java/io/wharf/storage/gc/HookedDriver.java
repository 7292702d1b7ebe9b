package io.wharf.storage.gc;

import io.wharf.core.storage.StorageDriver;
import io.wharf.core.testing.ForwardingDriver;
import java.io.IOException;
import java.util.List;

/** Delegates to a driver and runs a hook before every {@code list}: a seam to act between GC phases. */
final class HookedDriver extends ForwardingDriver {
  interface Hook {
    void beforeList(String dir) throws IOException;
  }

  private final Hook hook;

  HookedDriver(StorageDriver delegate, Hook hook) {
    super(delegate);
    this.hook = hook;
  }

  @Override
  public List<String> list(String dir) throws IOException {
    hook.beforeList(dir);
    return delegate.list(dir);
  }
}
