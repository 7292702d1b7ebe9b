package io.wharf.core.lifecycle;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.Locale;
import java.util.Objects;

/**
 * When a maintenance job runs: a cron expression in UTC ({@code "0 3 * * *"}: 03:00 every day;
 * five fields, minute hour day-of-month month day-of-week, each {@code *}, a number, a range
 * {@code 1-5}, a list {@code 1,15} or a step {@code *}{@code /15}; Sunday is 0 or 7; as in cron, a
 * day matches when day-of-month <em>or</em> day-of-week does if both are restricted), one of
 * {@code @hourly}, {@code @daily}, {@code @weekly}, {@code @monthly}, or a fixed period
 * {@code "every 6h"}. Nexus users write cron; the period form is for tests and small setups.
 */
public final class Schedule {
  private static final int MINUTE = 0;
  private static final int HOUR = 1;
  private static final int DAY_OF_MONTH = 2;
  private static final int MONTH = 3;
  private static final int DAY_OF_WEEK = 4;
  private static final int[][] RANGES = {{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}};
  private static final String[] NAMES = {"minute", "hour", "day of month", "month", "day of week"};
  /** No cron expression matches nothing for longer than this (29 February falls in every 8 years). */
  private static final long MAX_SEARCH_MINUTES = 8L * 366 * 24 * 60;

  private final String text;
  private final Duration period;
  private final BitSet[] fields;
  private final boolean dayOfMonthRestricted;
  private final boolean dayOfWeekRestricted;

  private Schedule(String text, Duration period, BitSet[] fields, boolean domRestricted, boolean dowRestricted) {
    this.text = text;
    this.period = period;
    this.fields = fields;
    this.dayOfMonthRestricted = domRestricted;
    this.dayOfWeekRestricted = dowRestricted;
  }

  /**
   * A job every {@code period}, counted from when the scheduler starts.
   *
   * @param period the time between the end of one run and the start of the next
   * @return the schedule
   * @throws IllegalArgumentException if {@code period} is not positive
   */
  public static Schedule every(Duration period) {
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("a schedule's period must be positive: " + period);
    }
    return new Schedule("every " + period, period, null, false, false);
  }

  /**
   * Parses a cron expression or {@code @daily}-style shorthand (not the {@code every} form, whose
   * duration syntax belongs to the caller's configuration format).
   *
   * @param expression five fields ({@code minute hour day-of-month month day-of-week}, in UTC) or
   *     {@code @hourly}, {@code @daily}, {@code @midnight}, {@code @weekly}, {@code @monthly}
   * @return the schedule
   * @throws IllegalArgumentException naming the field that is wrong
   */
  public static Schedule cron(String expression) {
    Objects.requireNonNull(expression, "expression");
    String e = switch (expression.trim().toLowerCase(Locale.ROOT)) {
      case "@hourly" -> "0 * * * *";
      case "@daily", "@midnight" -> "0 0 * * *";
      case "@weekly" -> "0 0 * * 0";
      case "@monthly" -> "0 0 1 * *";
      default -> expression.trim();
    };
    String[] parts = e.split("\\s+");
    if (parts.length != 5) {
      throw new IllegalArgumentException("a cron expression has 5 fields (minute hour day-of-month month day-of-week),"
          + " not " + parts.length + ": \"" + expression + "\"");
    }
    BitSet[] fields = new BitSet[5];
    for (int i = 0; i < 5; i++) {
      fields[i] = field(parts[i], i, expression);
    }
    if (fields[DAY_OF_WEEK].get(7)) {
      fields[DAY_OF_WEEK].set(0); // 7 is Sunday too
    }
    // As in Vixie cron: a day field that starts with '*' (also '*/2') does not restrict the day,
    // so only two restricted fields are joined with OR.
    return new Schedule(expression.trim(), null, fields, !parts[DAY_OF_MONTH].startsWith("*"),
        !parts[DAY_OF_WEEK].startsWith("*"));
  }

  /**
   * The first time after {@code after} at which the job runs; for a period, {@code after + period}
   * (the scheduler passes the end of the previous run, so slow runs never pile up).
   *
   * @param after when the previous run ended (or the scheduler started)
   * @return when the next run starts
   * @throws IllegalStateException for a cron expression that never fires (February 30th)
   */
  public Instant next(Instant after) {
    if (period != null) {
      return after.plus(period);
    }
    ZonedDateTime t = after.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
    for (long i = 0; i < MAX_SEARCH_MINUTES; i++) {
      if (!fields[MONTH].get(t.getMonthValue())) {
        t = t.withDayOfMonth(1).withHour(0).withMinute(0).plusMonths(1);
      } else if (!dayMatches(t)) {
        t = t.withHour(0).withMinute(0).plusDays(1);
      } else if (!fields[HOUR].get(t.getHour())) {
        t = t.withMinute(0).plusHours(1);
      } else if (!fields[MINUTE].get(t.getMinute())) {
        t = t.plusMinutes(1);
      } else {
        return t.toInstant();
      }
    }
    throw new IllegalStateException("the schedule \"" + text + "\" never fires");
  }

  private boolean dayMatches(ZonedDateTime t) {
    boolean dom = fields[DAY_OF_MONTH].get(t.getDayOfMonth());
    boolean dow = fields[DAY_OF_WEEK].get(t.getDayOfWeek().getValue() % 7);
    if (dayOfMonthRestricted && dayOfWeekRestricted) {
      return dom || dow;
    }
    return dom && dow;
  }

  private static BitSet field(String text, int index, String expression) {
    int min = RANGES[index][0];
    int max = RANGES[index][1];
    BitSet bits = new BitSet(max + 1);
    for (String item : text.split(",", -1)) {
      try {
        int step = 1;
        String range = item;
        int slash = item.indexOf('/');
        if (slash >= 0) {
          step = Integer.parseInt(item.substring(slash + 1));
          range = item.substring(0, slash);
        }
        int from;
        int to;
        if (range.equals("*")) {
          from = min;
          to = max;
        } else if (range.contains("-")) {
          from = Integer.parseInt(range.substring(0, range.indexOf('-')));
          to = Integer.parseInt(range.substring(range.indexOf('-') + 1));
        } else {
          from = Integer.parseInt(range);
          to = slash >= 0 ? max : from;
        }
        if (step < 1 || from < min || to > max || from > to) {
          throw new NumberFormatException();
        }
        for (int v = from; v <= to; v += step) {
          bits.set(v);
        }
      } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
        throw new IllegalArgumentException("cron expression \"" + expression + "\": bad " + NAMES[index] + " \""
            + item + "\" (allowed: *, " + min + "-" + max + ", lists a,b, ranges a-b, steps */n)");
      }
    }
    return bits;
  }

  @Override
  public String toString() {
    return text;
  }
}
