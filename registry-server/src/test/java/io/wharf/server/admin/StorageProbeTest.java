package io.wharf.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.storage.StorageDriver;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The storage probe behind readiness: cached for its ttl by a clock the test moves, and honest about failures. */
class StorageProbeTest {

  /** A clock that stands still until moved. */
  static final class MovableClock extends Clock {
    private Instant now = Instant.parse("2026-12-02T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  /** An in-memory driver whose writes fail while {@code broken} is set, counting them. */
  static StorageDriver flaky(AtomicBoolean broken, AtomicInteger writes) {
    StorageDriver real = new InMemoryDriver();
    return (StorageDriver) Proxy.newProxyInstance(StorageDriver.class.getClassLoader(),
        new Class<?>[] {StorageDriver.class}, (proxy, method, args) -> {
          if (method.getName().equals("putContent")) {
            writes.incrementAndGet();
            if (broken.get()) {
              throw new IOException("disk full");
            }
          }
          try {
            return method.invoke(real, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Test
  void outcome_cachedForTtl_thenProbedAgain() {
    MovableClock clock = new MovableClock();
    AtomicBoolean broken = new AtomicBoolean(true);
    AtomicInteger writes = new AtomicInteger();
    StorageProbe probe = new StorageProbe("default", flaky(broken, writes), clock, Duration.ofSeconds(5));

    StorageProbe.Outcome first = probe.outcome();
    assertThat(first.readable()).isTrue();
    assertThat(first.writable()).isFalse();
    assertThat(first.error()).contains("disk full");
    assertThat(writes).hasValue(1);

    broken.set(false);
    clock.advance(Duration.ofSeconds(4));
    assertThat(probe.outcome().writable()).as("still the cached outcome").isFalse();
    assertThat(writes).hasValue(1);

    clock.advance(Duration.ofSeconds(1));
    StorageProbe.Outcome later = probe.outcome();
    assertThat(later.writable()).isTrue();
    assertThat(later.error()).isNull();
    assertThat(writes).hasValue(2);
  }

  @Test
  void probe_leavesNothingBehind() throws Exception {
    InMemoryDriver driver = new InMemoryDriver();
    StorageProbe probe = new StorageProbe("default", driver, Clock.systemUTC(), Duration.ZERO);
    assertThat(probe.outcome().writable()).isTrue();
    assertThat(probe.outcome().writable()).isTrue();
    assertThat(driver.list("/docker/registry/v2/_wharf/health")).isEmpty();
  }
}
