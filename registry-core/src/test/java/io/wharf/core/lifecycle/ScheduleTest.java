package io.wharf.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ScheduleTest {
  private static Instant at(String iso) {
    return Instant.parse(iso);
  }

  @Test
  void daily_atThree_nextIsTodayOrTomorrow() {
    Schedule s = Schedule.cron("0 3 * * *");
    assertThat(s.next(at("2026-11-28T02:59:30Z"))).isEqualTo(at("2026-11-28T03:00:00Z"));
    assertThat(s.next(at("2026-11-28T03:00:00Z"))).isEqualTo(at("2026-11-29T03:00:00Z"));
  }

  @Test
  void steps_listsAndRanges() {
    assertThat(Schedule.cron("*/15 * * * *").next(at("2026-11-28T10:16:00Z"))).isEqualTo(at("2026-11-28T10:30:00Z"));
    assertThat(Schedule.cron("5,35 8-9 * * *").next(at("2026-11-28T09:40:00Z")))
        .isEqualTo(at("2026-11-29T08:05:00Z"));
  }

  @Test
  void dayOfWeek_sundayIsZeroOrSeven() {
    // 2026-11-28 is a Saturday
    assertThat(Schedule.cron("0 4 * * 0").next(at("2026-11-28T12:00:00Z"))).isEqualTo(at("2026-11-29T04:00:00Z"));
    assertThat(Schedule.cron("0 4 * * 7").next(at("2026-11-28T12:00:00Z"))).isEqualTo(at("2026-11-29T04:00:00Z"));
    assertThat(Schedule.cron("@weekly").next(at("2026-11-28T12:00:00Z"))).isEqualTo(at("2026-11-29T00:00:00Z"));
  }

  @Test
  void dayOfMonthOrDayOfWeek_whenBothAreRestricted() {
    // the 1st of the month or any Monday: after Saturday 28 Nov comes Monday 30 Nov
    assertThat(Schedule.cron("0 0 1 * 1").next(at("2026-11-28T00:00:00Z"))).isEqualTo(at("2026-11-30T00:00:00Z"));
  }

  @Test
  void aStarStepDayField_doesNotRestrict_soTheOtherDayFieldDecides() {
    // as in Vixie cron: "*/2" in day-of-month joined with Monday is AND, not OR.
    // 2026-11-28 is a Saturday; the next Monday on an odd day of the month is 7 December
    assertThat(Schedule.cron("0 3 */2 * 1").next(at("2026-11-28T12:00:00Z"))).isEqualTo(at("2026-12-07T03:00:00Z"));
  }

  @Test
  void monthsAndLeapDays() {
    assertThat(Schedule.cron("@monthly").next(at("2026-11-28T00:00:00Z"))).isEqualTo(at("2026-12-01T00:00:00Z"));
    assertThat(Schedule.cron("0 0 29 2 *").next(at("2026-11-28T00:00:00Z"))).isEqualTo(at("2028-02-29T00:00:00Z"));
  }

  @Test
  void every_isCountedFromTheGivenInstant() {
    assertThat(Schedule.every(Duration.ofHours(6)).next(at("2026-11-28T01:02:03Z")))
        .isEqualTo(at("2026-11-28T07:02:03Z"));
  }

  @Test
  void badExpressions_nameTheField() {
    assertThatThrownBy(() -> Schedule.cron("0 25 * * *")).hasMessageContaining("bad hour \"25\"");
    assertThatThrownBy(() -> Schedule.cron("0 3 * *")).hasMessageContaining("5 fields");
    assertThatThrownBy(() -> Schedule.cron("x 3 * * *")).hasMessageContaining("bad minute");
    assertThatThrownBy(() -> Schedule.cron("0 0 31 2 *").next(at("2026-01-01T00:00:00Z")))
        .hasMessageContaining("never fires");
    assertThatThrownBy(() -> Schedule.every(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
  }
}
