package io.wharf.server.config;

import io.wharf.core.lifecycle.CacheLimits;
import io.wharf.core.lifecycle.CleanupPolicy;
import io.wharf.core.lifecycle.Schedule;
import io.wharf.core.quota.Quota;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Reads the lifecycle keys of the configuration ({@code blobStores.<name>.maintenance},
 * {@code repositories[].cleanup}, {@code quota}, {@code cache}) into the core's types. Used by
 * {@link ConfigLoader#validate} (so a bad value fails at start, naming its key) and by the
 * factories that build the running objects.
 */
public final class LifecycleConfig {
  private static final String OFF = "off";

  private LifecycleConfig() {}

  /**
   * A maintenance or sync schedule: cron in UTC, {@code @daily} and the like, or
   * {@code every <duration>}. {@code null} when {@code value} is absent: the job runs only on
   * demand.
   *
   * @param value the schedule as written, or null
   * @param key the config key, for the error message
   * @return the schedule, or null
   * @throws ConfigException if it is no schedule, or a cron expression that never fires
   */
  public static Schedule schedule(String value, String key) {
    if (value == null) {
      return null;
    }
    String v = value.trim();
    try {
      if (v.toLowerCase(Locale.ROOT).startsWith("every ")) {
        return Schedule.every(Durations.parse(v.substring("every ".length()).trim(), key));
      }
      Schedule cron = Schedule.cron(v);
      cron.next(java.time.Instant.now()); // "0 0 30 2 *" parses but never fires: say so now
      return cron;
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new ConfigException(key + ": " + e.getMessage()
          + "; write cron in UTC (\"0 3 * * *\"), @daily, @hourly, @weekly, @monthly, or \"every 6h\"");
    }
  }

  /**
   * The purge age of stale uploads; {@code null} for {@code off}.
   *
   * @param value a duration, {@code off}, or null (off)
   * @param key the config key, for the error message
   * @return the age, or null
   * @throws ConfigException if it is neither a duration nor {@code off}
   */
  public static Duration purgeUploads(String value, String key) {
    return value == null || OFF.equalsIgnoreCase(value.trim()) ? null : Durations.parse(value, key);
  }

  /**
   * A repository's cleanup policy ({@code repositories[].cleanup}).
   *
   * @param c the section, or null
   * @param key the config key, for the error message
   * @return the policy, or null without a section
   * @throws ConfigException naming the key at fault
   */
  public static CleanupPolicy cleanup(WharfConfig.Cleanup c, String key) {
    if (c == null) {
      return null;
    }
    if (c.keepLatest() != null && c.keepLatest() < 0) {
      throw new ConfigException(key + ".keepLatest: " + c.keepLatest() + " is negative");
    }
    try {
      return new CleanupPolicy(c.keepLatest() == null ? 0 : c.keepLatest(),
          c.olderThan() == null ? null : Durations.parse(c.olderThan(), key + ".olderThan"),
          c.notPulledFor() == null ? null : Durations.parse(c.notPulledFor(), key + ".notPulledFor"),
          c.include(), c.exclude());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + ": " + e.getMessage());
    }
  }

  static Quota quota(WharfConfig.Quota q, String key) {
    if (q == null) {
      return null;
    }
    Long hard = q.hard() == null ? null : Sizes.parse(q.hard(), key + ".hard");
    Long soft = q.soft() == null ? null : Sizes.parse(q.soft(), key + ".soft");
    if (hard == null && soft == null) {
      throw new ConfigException(key + ": set hard, soft or both (sizes such as 10GiB)");
    }
    if (hard != null && soft != null && soft > hard) {
      throw new ConfigException(key + ".soft: " + q.soft() + " is above the hard limit " + q.hard());
    }
    try {
      return Quota.of(hard, soft);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + ": " + e.getMessage());
    }
  }

  /**
   * A proxy repository's cache limits ({@code repositories[].cache}).
   *
   * @param c the section, or null
   * @param key the config key, for the error message
   * @return the limits, or null without a section
   * @throws ConfigException naming the key at fault
   */
  public static CacheLimits cache(WharfConfig.Cache c, String key) {
    if (c == null) {
      return null;
    }
    try {
      return new CacheLimits(c.maxSize() == null ? null : Sizes.parse(c.maxSize(), key + ".maxSize"),
          c.maxUnusedAge() == null ? null : Durations.parse(c.maxUnusedAge(), key + ".maxUnusedAge"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + ": " + e.getMessage());
    }
  }

  /** Checks every lifecycle key of {@code c}; {@code p} prefixes the keys named in errors. */
  static void validate(WharfConfig c, String p) {
    c.blobStores().forEach((name, store) -> {
      WharfConfig.Maintenance m = store.maintenance();
      if (m == null) {
        return;
      }
      String key = p + "blobStores." + name + ".maintenance";
      schedule(m.schedule(), key + ".schedule");
      Durations.parse(m.grace(), key + ".grace");
      purgeUploads(m.purgeUploads(), key + ".purgeUploads");
      if (m.tagHistory() != null) {
        Durations.parse(m.tagHistory(), key + ".tagHistory");
      }
    });
    for (WharfConfig.Repository r : c.repositories()) {
      String key = p + "repositories (" + r.name() + ")";
      boolean hosted = "hosted".equals(r.type());
      if (!hosted && r.cleanup() != null) {
        throw new ConfigException(key + ".cleanup: applies to hosted repositories only"
            + (r.isProxy() ? "; a proxy's cache is limited by cache: {maxSize, maxUnusedAge}" : ""));
      }
      if (!hosted && r.quota() != null) {
        throw new ConfigException(key + ".quota: applies to hosted repositories only");
      }
      if (!r.isProxy() && r.cache() != null) {
        throw new ConfigException(key + ".cache: applies to proxy repositories only");
      }
      cleanup(r.cleanup(), key + ".cleanup");
      quota(r.quota(), key + ".quota");
      cache(r.cache(), key + ".cache");
      if ((r.cleanup() != null || r.quota() != null || r.cache() != null) && !r.isGroup()
          && RegistryFactory.namespace(r, c) == null) {
        List<String> sharing = c.repositories().stream()
            .filter(o -> !o.isGroup() && o != r && r.blobStore().equals(o.blobStore())).map(WharfConfig.Repository::name)
            .toList();
        if (!sharing.isEmpty()) {
          // Its images sit at the root of the store, where the other repositories' namespaces
          // are too: a policy, a cache limit or a usage scan would take theirs for its own.
          throw new ConfigException(key + ": cleanup, cache and quota need the repository's images in a namespace of"
              + " their own, but it has namespace \"\" on blob store " + r.blobStore() + ", which " + sharing
              + " share; give it a namespace or a blob store of its own");
        }
      }
    }
  }
}
