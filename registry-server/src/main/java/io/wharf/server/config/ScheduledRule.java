package io.wharf.server.config;

/**
 * What a pull rule ({@link SyncConfig.Rule}) and a push rule ({@link ReplicationConfig.Rule}) have
 * in common for their schedules: a name, unique within its repository's rules of that kind, and
 * perhaps a schedule.
 */
public interface ScheduledRule {
  /**
   * The rule's name.
   *
   * @return the name
   */
  String name();

  /**
   * When the rule runs besides on demand (and, for push rules, on push).
   *
   * @return the schedule ({@code @daily}, {@code every 1h}, a cron expression), or null for none
   */
  String schedule();
}
