package io.wharf.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T10:00:00Z"));
  final LoginThrottle throttle = new LoginThrottle(3, Duration.ofMinutes(1), Duration.ofMinutes(5), clock);

  @Test
  void afterMaxFailuresFromOneAddress_thatAddressIsLockedForTheLockout() {
    throttle.failure("10.0.0.1", "a");
    throttle.failure("10.0.0.1", "b");
    assertThat(throttle.lockedFor("10.0.0.1", "c")).isEmpty();
    throttle.failure("10.0.0.1", "c");

    assertThat(throttle.lockedFor("10.0.0.1", "d")).hasValue(Duration.ofMinutes(5));
    assertThat(throttle.lockedFor("10.0.0.2", "d")).isEmpty();
    clock.advance(Duration.ofMinutes(5).plusSeconds(1));
    assertThat(throttle.lockedFor("10.0.0.1", "d")).isEmpty();
  }

  @Test
  void afterMaxFailuresForOneUser_thatUserIsLockedFromEverywhere() {
    throttle.failure("10.0.0.1", "ci");
    throttle.failure("10.0.0.2", "ci");
    throttle.failure("10.0.0.3", "ci");

    assertThat(throttle.lockedFor("10.0.0.9", "ci")).isPresent();
    assertThat(throttle.lockedFor("10.0.0.9", "other")).isEmpty();
  }

  @Test
  void failuresOutsideTheWindow_doNotAddUp_andASuccessClearsTheUser() {
    throttle.failure("10.0.0.1", "ci");
    throttle.failure("10.0.0.1", "ci");
    clock.advance(Duration.ofMinutes(2));
    throttle.failure("10.0.0.1", "ci");
    assertThat(throttle.lockedFor("10.0.0.1", "ci")).isEmpty();

    throttle.failure("10.0.0.5", "ops");
    throttle.failure("10.0.0.6", "ops");
    throttle.success("ops");
    throttle.failure("10.0.0.7", "ops");
    assertThat(throttle.lockedFor("10.0.0.8", "ops")).isEmpty();
  }

  @Test
  void maxFailuresZero_turnsItOff() {
    LoginThrottle off = new LoginThrottle(0, Duration.ofMinutes(1), Duration.ofMinutes(5), clock);
    for (int i = 0; i < 100; i++) {
      off.failure("10.0.0.1", "ci");
    }
    assertThat(off.lockedFor("10.0.0.1", "ci")).isEmpty();
  }
}
