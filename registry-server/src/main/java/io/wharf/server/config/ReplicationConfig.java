package io.wharf.server.config;

import io.wharf.proxy.sync.SyncContent;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The push rules of a hosted repository ({@code repositories[].replication[]}): the records the
 * YAML reads into and their validation, each message naming its key, e.g.
 * {@code repositories[0] (releases).replication[1] (dr).target.url}. A rule's {@code content}
 * has the shape and the code of a pull rule's ({@link SyncConfig.Content}, {@link SyncContent});
 * its credentials are named as a pull rule's are. See {@code docs/sync.md}, "Push rules".
 */
public final class ReplicationConfig {
  private ReplicationConfig() {}

  /**
   * {@code repositories[].replication[]:} one push rule.
   *
   * @param name unique within the repository; names runs, metrics and events
   * @param target the remote registry
   * @param content which images to copy and where they go, as a pull rule's
   * @param schedule the reconcile's schedule, as {@code maintenance.schedule}; absent: on demand only
   * @param onPush copy each push within seconds; absent: true
   * @param deletes delete at the remote what is deleted here; absent: false
   */
  public record Rule(String name, Target target, List<SyncConfig.Content> content, String schedule, Boolean onPush,
      Boolean deletes) {
    /** Whether a push is copied at once ({@code onPush}, default true). */
    public boolean copiesOnPush() {
      return onPush == null || onPush;
    }

    /** Whether deletes are propagated ({@code deletes}, default false). */
    public boolean propagatesDeletes() {
      return Boolean.TRUE.equals(deletes);
    }
  }

  /** {@code target:} a registry {@code url} and the name of its {@code credentials}; absent: anonymous. */
  public record Target(String url, String credentials) {}

  /** Checks every push rule; {@code credentials} are the names credentials are declared under. */
  static void validate(WharfConfig c, Set<String> credentials, String p) {
    List<WharfConfig.Repository> repos = c.repositories();
    for (int i = 0; i < repos.size(); i++) {
      WharfConfig.Repository r = repos.get(i);
      if (r.replication() == null || r.replication().isEmpty()) {
        continue;
      }
      String repoKey = p + "repositories[" + i + "] (" + r.name() + ").replication";
      if (!"hosted".equals(r.type())) {
        throw new ConfigException(repoKey + ": push rules copy a hosted repository's images; " + r.name() + " is a "
            + r.type() + " repository");
      }
      Set<String> names = new HashSet<>();
      for (int j = 0; j < r.replication().size(); j++) {
        validateRule(r.replication().get(j), repoKey + "[" + j + "]", r.name(), names, credentials);
      }
    }
  }

  private static void validateRule(Rule rule, String key, String repository, Set<String> names,
      Set<String> credentials) {
    if (rule == null) {
      throw new ConfigException(key + ": empty entry");
    }
    key = SyncConfig.ruleName(rule.name(), key, repository, names);
    Target t = rule.target();
    if (t == null || t.url() == null) {
      throw new ConfigException(key + ".target" + (t == null ? "" : ".url") + ": missing; give the remote registry's"
          + " url (and credentials)");
    }
    SyncConfig.registryUrl(t.url(), key + ".target.url");
    if (t.credentials() != null && !credentials.contains(t.credentials())) {
      throw new ConfigException(key + ".target.credentials: no credentials entry named \""
          + t.credentials() + "\"");
    }
    LifecycleConfig.schedule(rule.schedule(), key + ".schedule");
    if (rule.content() == null || rule.content().isEmpty()) {
      throw new ConfigException(key + ".content: at least one entry saying which images to copy");
    }
    for (int k = 0; k < rule.content().size(); k++) {
      SyncConfig.content(rule.content().get(k), false, key + ".content[" + k + "]");
    }
  }

  /**
   * A rule's {@code content} entries as the sync engine's {@link SyncContent}s.
   *
   * @param rule a validated rule
   * @return one per entry, in order
   */
  public static List<SyncContent> content(Rule rule) {
    List<SyncContent> out = new java.util.ArrayList<>();
    for (int i = 0; i < rule.content().size(); i++) {
      out.add(SyncConfig.content(rule.content().get(i), false, "replication " + rule.name() + ".content[" + i + "]"));
    }
    return out;
  }
}
