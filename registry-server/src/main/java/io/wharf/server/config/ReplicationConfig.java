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
   * @param limits how many images at once and how fast, as a pull rule's
   *     ({@link SyncConfig.Limits}); absent: one at a time, no rate limit
   */
  public record Rule(String name, Target target, List<SyncConfig.Content> content, String schedule, Boolean onPush,
      Boolean deletes, SyncConfig.Limits limits) implements ScheduledRule {
    /**
     * A rule without {@code limits}.
     *
     * @param name unique within the repository
     * @param target the remote registry
     * @param content which images to copy and where they go
     * @param schedule the reconcile's schedule, or null
     * @param onPush copy each push within seconds; null: true
     * @param deletes delete at the remote what is deleted here; null: false
     */
    public Rule(String name, Target target, List<SyncConfig.Content> content, String schedule, Boolean onPush,
        Boolean deletes) {
      this(name, target, content, schedule, onPush, deletes, null);
    }

    /**
     * Whether a push is copied at once.
     *
     * @return {@code onPush}, true if absent
     */
    public boolean copiesOnPush() {
      return onPush == null || onPush;
    }

    /**
     * Whether deletes are propagated.
     *
     * @return {@code deletes}, false if absent
     */
    public boolean propagatesDeletes() {
      return Boolean.TRUE.equals(deletes);
    }

    /**
     * A copy named {@code name}.
     *
     * @param name the copy's name
     * @return the copy, otherwise the same
     */
    public Rule withName(String name) {
      return new Rule(name, target, content, schedule, onPush, deletes, limits);
    }

    /**
     * The run options of this rule's reconciles and copies on push: its {@code limits} and
     * {@code deletes} (checked by the validation).
     *
     * @return the options for {@link io.wharf.proxy.sync.SyncRun#run}
     */
    public io.wharf.proxy.sync.SyncRun.Options options() {
      return SyncConfig.options(limits, propagatesDeletes());
    }
  }

  /**
   * {@code target:} the remote registry a push rule copies to.
   *
   * @param url the registry's base URL, e.g. {@code https://registry.example.com}
   * @param credentials the name of a {@code credentials} entry; absent: anonymous
   */
  public record Target(String url, String credentials) {}

  /**
   * Checks every push rule of the config file.
   *
   * @param c the configuration
   * @param credentials the names credentials are declared under
   * @param p the prefix of every key in messages (empty, or the file's name)
   * @throws ConfigException naming the key
   */
  static void validate(WharfConfig c, Set<String> credentials, String p) {
    List<WharfConfig.Repository> repos = c.repositories();
    for (int i = 0; i < repos.size(); i++) {
      WharfConfig.Repository r = repos.get(i);
      if (r.replication() == null || r.replication().isEmpty()) {
        continue;
      }
      String repoKey = p + "repositories[" + i + "] (" + r.name() + ").replication";
      requireHosted(r, repoKey);
      Set<String> names = new HashSet<>();
      for (int j = 0; j < r.replication().size(); j++) {
        validateRule(r.replication().get(j), repoKey + "[" + j + "]", r.name(), names, credentials);
      }
    }
  }

  /**
   * Checks a push rule made through the management API as the file's are checked, against the
   * configuration it joins ({@code c}: the file's repositories and the file's and the API's
   * credentials).
   *
   * @param c the configuration the rule joins
   * @param repository the repository the rule copies from: declared, and hosted
   * @param rule the rule
   * @param taken the names of the repository's other push rules
   * @param key names the rule in messages ({@code rule}, then {@code rule (name).target.url: ...})
   * @throws ConfigException naming the key
   */
  public static void validateRule(WharfConfig c, String repository, Rule rule, Set<String> taken, String key) {
    WharfConfig.Repository r = c.repositories().stream().filter(x -> x.name().equals(repository)).findFirst()
        .orElseThrow(() -> new ConfigException(key + ": no repository named " + repository));
    requireHosted(r, key);
    validateRule(rule, key, repository, new HashSet<>(taken), SyncConfig.credentials(c).keySet());
  }

  private static void requireHosted(WharfConfig.Repository r, String key) {
    if (!"hosted".equals(r.type())) {
      throw new ConfigException(key + ": push rules copy a hosted repository's images; " + r.name() + " is a "
          + r.type() + " repository");
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
    SyncConfig.limits(rule.limits(), key);
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
