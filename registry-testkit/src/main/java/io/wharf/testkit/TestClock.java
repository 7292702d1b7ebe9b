package io.wharf.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A clock a test moves by hand. Every {@link TestRegistry} has one, and its proxy repositories
 * read it for tag max ages, the negative cache, upstream token expiry and auto-block, so a test
 * of "the tag is revalidated after 6 h" advances the clock instead of sleeping.
 *
 * <pre>
 * registry.clock().advance(Duration.ofHours(7));   // cached tags are now stale
 * </pre>
 *
 * <p>A new clock stands still at the moment it was made ({@link #frozen()}); real time does not
 * move it. Thread-safe.
 */
public final class TestClock extends Clock {
  private volatile Instant now;

  private TestClock(Instant now) {
    this.now = Objects.requireNonNull(now, "now");
  }

  /** {@return a clock standing at the current real time} */
  public static TestClock frozen() {
    return new TestClock(Instant.now());
  }

  /**
   * A clock standing at {@code instant}.
   *
   * @param instant where the clock stands until it is moved
   * @return a new clock
   */
  public static TestClock at(Instant instant) {
    return new TestClock(instant);
  }

  /**
   * Moves the clock forward ({@code d} may be negative to move it back); returns the new time.
   *
   * @param d how far to move it
   * @return the clock's new time
   */
  public synchronized Instant advance(Duration d) {
    now = now.plus(d);
    return now;
  }

  /**
   * Sets the clock to {@code instant}.
   *
   * @param instant the clock's new time
   */
  public void set(Instant instant) {
    now = Objects.requireNonNull(instant, "instant");
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this; // one shared instant; zones do not matter to the registry
  }

  @Override
  public String toString() {
    return "TestClock[" + now + "]";
  }
}
