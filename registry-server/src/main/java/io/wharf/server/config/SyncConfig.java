package io.wharf.server.config;

import io.wharf.core.model.ImageName;
import io.wharf.proxy.sync.NameGlob;
import io.wharf.proxy.sync.Platform;
import io.wharf.proxy.sync.SemverRange;
import io.wharf.proxy.sync.SyncContent;
import io.wharf.proxy.sync.SyncRun;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pull rules of a repository ({@code repositories[].sync[]}) and the credentials they use
 * ({@code credentials[]}; {@code security.credentials[]}, deprecated, is read as well): the records
 * the YAML reads into, their validation (each
 * message names its key, e.g. {@code repositories[0] (mirror).sync[1] (hub).content[0].tags.semver}),
 * and the conversion into the sync engine's types ({@link SyncContent}). See {@code docs/sync.md}.
 */
public final class SyncConfig {
  private static final Logger LOG = LoggerFactory.getLogger(SyncConfig.class);
  private static final Pattern RULE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private SyncConfig() {}

  /**
   * {@code repositories[].sync[]:} one pull rule.
   *
   * @param name unique within the repository; names runs, metrics and events
   * @param schedule as {@code maintenance.schedule}; absent: on demand only
   * @param limits how many images at once and how fast; absent: one at a time, no rate limit
   * @param deleteMissing delete the tags the source no longer has (within the rule's names and tag
   *     filters); absent: false
   */
  public record Rule(String name, Source source, String schedule, List<Content> content, Limits limits,
      Boolean deleteMissing) implements ScheduledRule {
    /**
     * A copy named {@code name}: the API names a rule by its URL, which wins over a body's name.
     *
     * @param name the rule's name
     * @return the copy, its other keys unchanged
     */
    public Rule withName(String name) {
      return new Rule(name, source, schedule, content, limits, deleteMissing);
    }

    /**
     * The run options these keys give ({@link #validateRule} checked them): one image at a time and
     * no rate limit unless {@code limits} says otherwise, tags kept unless {@code deleteMissing}.
     *
     * @return the options a run of this rule copies with
     * @throws ConfigException if {@code limits.bandwidth} is no rate (only for a rule never validated)
     */
    public SyncRun.Options options() {
      return SyncConfig.options(limits, Boolean.TRUE.equals(deleteMissing));
    }
  }

  /**
   * The run options a rule's {@code limits} give, a pull rule's and a push rule's alike.
   *
   * @param limits the rule's {@code limits}, checked by {@link #limits}; null: one image at a time,
   *     no rate limit
   * @param deletes whether the run deletes at the target what the source no longer has
   * @return the options for {@link SyncRun#run}
   */
  public static SyncRun.Options options(Limits limits, boolean deletes) {
    Limits l = limits == null ? new Limits(null, null) : limits;
    return new SyncRun.Options(l.concurrency() == null ? 1 : l.concurrency(),
        l.bandwidth() == null ? 0 : bandwidth(l.bandwidth(), "limits.bandwidth"), deletes);
  }

  /**
   * Checks a rule's {@code limits} (a pull rule's or a push rule's).
   *
   * @param limits the block, or null (nothing to check)
   * @param key names the rule in messages, e.g. {@code repositories[0] (mirror).sync[1] (hub)}
   * @throws ConfigException naming {@code key.limits.concurrency} or {@code key.limits.bandwidth}
   */
  static void limits(Limits limits, String key) {
    if (limits == null) {
      return;
    }
    Integer n = limits.concurrency();
    if (n != null && (n < 1 || n > MAX_CONCURRENCY)) {
      throw new ConfigException(key + ".limits.concurrency: " + n + " is not from 1 to " + MAX_CONCURRENCY);
    }
    if (limits.bandwidth() != null) {
      bandwidth(limits.bandwidth(), key + ".limits.bandwidth");
    }
  }

  /** The most images a rule copies at once. */
  public static final int MAX_CONCURRENCY = 32;

  /**
   * {@code sync[].limits:} {@code concurrency} images copied at once (default 1, at most
   * {@value #MAX_CONCURRENCY}); {@code bandwidth} a rate over the run's blob bytes, e.g.
   * {@code 50MB/s} (units as sizes: powers of 1024), shared by its parallel copies.
   */
  public record Limits(Integer concurrency, String bandwidth) {}

  /** A rate such as {@code 50MB/s} in bytes per second; {@link ConfigException} naming {@code key}. */
  static long bandwidth(String value, String key) {
    String v = value.trim();
    if (!v.endsWith("/s")) {
      throw new ConfigException(key + ": \"" + value + "\" is no rate; write a size per second, e.g. 50MB/s");
    }
    long perSecond = Sizes.parse(v.substring(0, v.length() - 2), key);
    if (perSecond <= 0) {
      throw new ConfigException(key + ": must be more than 0");
    }
    return perSecond;
  }

  /**
   * Where a rule copies from: a registry {@code url} (with {@code index: hub} for Docker Hub's
   * {@code library/} names, and {@code credentials} naming a {@code credentials} entry),
   * or a {@code repository} of this server.
   */
  public record Source(String url, String index, String credentials, String repository) {}

  /** {@code content[]:} what to copy; see {@link SyncContent} for the order the filters apply in. */
  public record Content(List<String> names, Tags tags, List<String> platforms, Boolean referrers, String destination,
      String stripPrefix) {}

  /** {@code content[].tags:} whole-tag regexes, a semver range, the newest N. */
  public record Tags(String include, String exclude, String semver, Integer newest) {}

  /**
   * {@code credentials[]:} a user name and a password (or a file holding it) for an
   * outbound registry, named so that rules refer to it without holding the secret.
   */
  public record Credential(String name, String username, String password, String passwordFile) {
    @Override
    public String toString() {
      return "Credential[" + name + ", " + username + "]"; // never the password
    }
  }

  /**
   * A credential as declared, with the key that names it in messages ({@code credentials[0] (hub)}
   * or, deprecated, {@code security.credentials[0] (hub)}).
   */
  public record Declared(String key, Credential credential) {}

  /**
   * The outbound credentials of the config file by name: the top-level {@code credentials:} and the
   * deprecated {@code security.credentials:}, the one place both are read. Validated entries only
   * ({@link #validate} refuses a name in both).
   *
   * @param c the configuration, validated
   * @return each credential by its name, with the key declaring it, in the file's order
   *     ({@code credentials:} first)
   */
  public static Map<String, Declared> credentials(WharfConfig c) {
    Map<String, Declared> out = new LinkedHashMap<>();
    for (Declared d : declaredCredentials(c, "")) {
      if (d.credential() != null && d.credential().name() != null) {
        out.putIfAbsent(d.credential().name(), d);
      }
    }
    return out;
  }

  private static List<Declared> declaredCredentials(WharfConfig c, String p) {
    List<Declared> out = new ArrayList<>();
    List<Credential> top = c.credentials() == null ? List.of() : c.credentials();
    for (int i = 0; i < top.size(); i++) {
      out.add(new Declared(p + "credentials[" + i + "]", top.get(i)));
    }
    List<Credential> old = c.security() == null || c.security().credentials() == null ? List.of()
        : c.security().credentials();
    for (int i = 0; i < old.size(); i++) {
      out.add(new Declared(p + "security.credentials[" + i + "]", old.get(i)));
    }
    return out;
  }

  /** Checks every rule of every repository and the credentials; throws {@link ConfigException} naming the key. */
  static void validate(WharfConfig c, Map<String, WharfConfig.Repository> byName, String p) {
    Map<String, String> credentials = new LinkedHashMap<>(); // name -> the key that declared it
    for (Declared d : declaredCredentials(c, p)) {
      String key = d.key();
      Credential cred = d.credential();
      if (cred == null || cred.name() == null || cred.name().isBlank()) {
        throw new ConfigException(key + ".name: missing");
      }
      key += " (" + cred.name() + ")";
      credential(cred, key);
      String first = credentials.putIfAbsent(cred.name(), key);
      if (first != null) {
        boolean both = first.startsWith(p + "credentials[") != key.startsWith(p + "credentials[");
        throw new ConfigException(key + ".name: duplicate credentials name \"" + cred.name() + "\"" + (both
            ? ", also declared in " + first + "; keep it in credentials only (security.credentials is deprecated)"
            : ""));
      }
    }
    if (c.security() != null && c.security().credentials() != null && !c.security().credentials().isEmpty()) {
      LOG.warn("{}security.credentials is deprecated: move its entries to the top-level credentials section (same"
          + " entries); a security section also turns access control on", p);
    }
    List<WharfConfig.Repository> repos = c.repositories();
    for (int i = 0; i < repos.size(); i++) {
      WharfConfig.Repository r = repos.get(i);
      if (r.sync() == null || r.sync().isEmpty()) {
        continue;
      }
      String repoKey = p + "repositories[" + i + "] (" + r.name() + ").sync";
      requireRuleHolder(r, repoKey);
      Set<String> names = new HashSet<>();
      for (int j = 0; j < r.sync().size(); j++) {
        validateRule(r.sync().get(j), repoKey + "[" + j + "]", r, names, credentials.keySet(), byName);
      }
    }
    ReplicationConfig.validate(c, credentials.keySet(), p);
  }

  /**
   * Checks one credential's user name and password (its name is checked by the caller); the API
   * checks its bodies with this too.
   *
   * @param cred the credential
   * @param key names the entry in messages, e.g. {@code credentials[0] (hub)}
   * @throws ConfigException naming the key, for an invalid name, no user name, or neither or both of
   *     {@code password} and {@code passwordFile}
   */
  public static void credential(Credential cred, String key) {
    if (cred.name() != null && !RULE_NAME.matcher(cred.name()).matches()) {
      throw new ConfigException(key + ".name: \"" + cred.name() + "\" is invalid; use letters, digits, '.', '_'"
          + " and '-' (at most 64)");
    }
    if (cred.username() == null || cred.username().isBlank()) {
      throw new ConfigException(key + ".username: missing");
    }
    if ((cred.password() == null) == (cred.passwordFile() == null)) {
      throw new ConfigException(key + ": give either password or passwordFile (one of them)");
    }
  }

  /**
   * Checks a rule made through the management API as the file's rules are checked, against the
   * configuration it joins ({@code c}: the file's and the API's repositories, rules and credentials).
   *
   * @param c the configuration the rule joins
   * @param repository the name of the repository the rule belongs to
   * @param rule the rule
   * @param taken the names of the repository's other rules
   * @param key names the rule in messages ({@code rule}, then {@code rule (name).source.url: ...})
   * @throws ConfigException naming the key, also when {@code c} has no such repository or it holds
   *     no rules (a group)
   */
  public static void validateRule(WharfConfig c, String repository, Rule rule, Set<String> taken, String key) {
    Map<String, WharfConfig.Repository> byName = new LinkedHashMap<>();
    c.repositories().forEach(r -> byName.put(r.name(), r));
    WharfConfig.Repository r = byName.get(repository);
    if (r == null) {
      throw new ConfigException(key + ": no repository named " + repository);
    }
    requireRuleHolder(r, key);
    validateRule(rule, key, r, new HashSet<>(taken), credentials(c).keySet(), byName);
  }

  /** Rules belong to hosted repositories (they write into them) and proxies (they warm the cache). */
  private static void requireRuleHolder(WharfConfig.Repository r, String key) {
    if (!"hosted".equals(r.type()) && !"proxy".equals(r.type())) {
      throw new ConfigException(key + ": pull rules write into a hosted repository or warm a proxy's cache; "
          + r.name() + " is a " + r.type() + " repository");
    }
  }

  private static void validateRule(Rule rule, String key, WharfConfig.Repository holder, Set<String> names,
      Set<String> credentials, Map<String, WharfConfig.Repository> byName) {
    String repository = holder.name();
    if (rule == null) {
      throw new ConfigException(key + ": empty entry");
    }
    key = ruleName(rule.name(), key, repository, names);
    Source s = rule.source();
    if (holder.isProxy()) {
      validateWarming(rule, key, holder);
    } else {
      validateSource(s, key, repository, credentials, byName);
    }
    LifecycleConfig.schedule(rule.schedule(), key + ".schedule");
    limits(rule.limits(), key);
    if (rule.content() == null || rule.content().isEmpty()) {
      throw new ConfigException(key + ".content: at least one entry saying which images to copy");
    }
    for (int k = 0; k < rule.content().size(); k++) {
      content(rule.content().get(k), s != null && "hub".equals(s.index()), key + ".content[" + k + "]");
    }
  }

  private static void validateSource(Source s, String key, String repository, Set<String> credentials,
      Map<String, WharfConfig.Repository> byName) {
    if (s == null) {
      throw new ConfigException(key + ".source: missing; give a url or a repository");
    }
    if ((s.url() == null) == (s.repository() == null)) {
      throw new ConfigException(key + ".source: give either url or repository (one of them)");
    }
    if (s.url() != null) {
      registryUrl(s.url(), key + ".source.url");
      if (s.index() != null && !s.index().equals("hub") && !s.index().equals("registry")) {
        throw new ConfigException(key + ".source.index: \"" + s.index() + "\" is unknown; known: hub, registry");
      }
      if (s.credentials() != null && !credentials.contains(s.credentials())) {
        throw new ConfigException(key + ".source.credentials: no credentials entry named \""
            + s.credentials() + "\"");
      }
    } else {
      if (s.index() != null || s.credentials() != null) {
        throw new ConfigException(key + ".source: index and credentials belong to a url source; a repository"
            + " source uses that repository's settings");
      }
      if (!byName.containsKey(s.repository())) {
        throw new ConfigException(key + ".source.repository: no repository named \"" + s.repository() + "\"");
      }
      if (s.repository().equals(repository)) {
        throw new ConfigException(key + ".source.repository: a rule cannot copy a repository into itself");
      }
    }
  }

  /** A rule of a proxy warms its cache from the proxy's own remote, under the upstream's names. */
  private static void validateWarming(Rule rule, String key, WharfConfig.Repository proxy) {
    if (rule.source() != null) {
      throw new ConfigException(key + ".source: a rule of proxy repository " + proxy.name() + " warms its cache from"
          + " its remoteUrl; leave source out");
    }
    if (Boolean.TRUE.equals(rule.deleteMissing())) {
      throw new ConfigException(key + ".deleteMissing: a proxy's cache follows its upstream already; deleteMissing"
          + " is for rules of hosted repositories");
    }
    for (int k = 0; rule.content() != null && k < rule.content().size(); k++) {
      Content c = rule.content().get(k);
      if (c != null && (c.destination() != null || c.stripPrefix() != null)) {
        throw new ConfigException(key + ".content[" + k + "]: a proxy caches images under their upstream names;"
            + " leave destination and stripPrefix out");
      }
    }
  }

  /** Checks a rule's name (valid, unique in {@code names}) and returns {@code key} with the name added. */
  static String ruleName(String name, String key, String repository, Set<String> names) {
    if (name == null || !RULE_NAME.matcher(name).matches()) {
      throw new ConfigException(key + ".name: " + (name == null ? "missing" : "\"" + name + "\" is invalid")
          + "; use letters, digits, '.', '_' and '-' (at most 64)");
    }
    key += " (" + name + ")";
    if (!names.add(name)) {
      throw new ConfigException(key + ".name: duplicate rule name \"" + name + "\" in repository " + repository);
    }
    return key;
  }

  /** Checks a registry's URL: http or https, with a host. */
  static void registryUrl(String url, String key) {
    URI u;
    try {
      u = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + ": \"" + url + "\" is not a URL: " + e.getMessage());
    }
    if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
      throw new ConfigException(key + ": \"" + url + "\" is not an http(s) URL with a host");
    }
  }

  /**
   * One {@code content} entry as the sync engine's {@link SyncContent}; with {@code hub}, a name
   * without a {@code /} means {@code library/<name>}, as Docker Hub and proxies read it. Validation
   * and conversion are one step, so a rule that passed validation converts the same way when it runs.
   *
   * @param c the entry
   * @param hub whether the source is Docker Hub ({@code index: hub})
   * @param key names the entry in messages, e.g. {@code repositories[0] (mirror).sync[1] (hub).content[0]}
   * @return the entry as the sync engine filters with it
   * @throws ConfigException naming the key, for a missing or empty name, a bad regex, semver range,
   *     {@code newest}, platform, {@code destination} or {@code stripPrefix}
   */
  public static SyncContent content(Content c, boolean hub, String key) {
    if (c == null) {
      throw new ConfigException(key + ": empty entry");
    }
    if (c.names() == null || c.names().isEmpty()) {
      throw new ConfigException(key + ".names: at least one image name or pattern");
    }
    List<NameGlob> names = new ArrayList<>();
    for (int i = 0; i < c.names().size(); i++) {
      String n = c.names().get(i);
      if (n == null || n.isBlank()) {
        throw new ConfigException(key + ".names[" + i + "]: empty");
      }
      names.add(NameGlob.of(hub && !n.contains("/") && !n.contains("*") ? "library/" + n : n));
    }
    Tags t = c.tags() == null ? new Tags(null, null, null, null) : c.tags();
    Pattern include = regex(t.include(), key + ".tags.include");
    Pattern exclude = regex(t.exclude(), key + ".tags.exclude");
    SemverRange semver;
    try {
      semver = t.semver() == null ? null : SemverRange.parse(t.semver());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + ".tags.semver: " + e.getMessage());
    }
    if (t.newest() != null && t.newest() < 1) {
      throw new ConfigException(key + ".tags.newest: " + t.newest() + " is not a positive number");
    }
    List<Platform> platforms = new ArrayList<>();
    List<String> ps = c.platforms() == null ? List.of() : c.platforms();
    for (int i = 0; i < ps.size(); i++) {
      try {
        platforms.add(Platform.parse(ps.get(i)));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key + ".platforms[" + i + "]: " + e.getMessage());
      }
    }
    for (String[] part : new String[][] {{"destination", c.destination()}, {"stripPrefix", c.stripPrefix()}}) {
      if (part[1] != null && !ImageName.isValid(part[1])) {
        throw new ConfigException(key + "." + part[0] + ": \"" + part[1] + "\" is not an image name prefix"
            + " (lower-case path segments separated by '/')");
      }
    }
    return new SyncContent(names, include, exclude, semver, t.newest(), platforms,
        Boolean.TRUE.equals(c.referrers()), c.destination(), c.stripPrefix());
  }

  private static Pattern regex(String value, String key) {
    if (value == null) {
      return null;
    }
    try {
      return Pattern.compile(value);
    } catch (PatternSyntaxException e) {
      throw new ConfigException(key + ": not a regular expression: " + e.getDescription() + " near index "
          + e.getIndex());
    }
  }

  /**
   * The password of {@code c}: as given, or the first line of its {@code passwordFile}, read when a
   * run needs it (so a rotated file is picked up without a restart).
   *
   * @param c the credential
   * @param key names the entry in messages, e.g. {@code credentials[0] (hub)}
   * @return the password, without the file's line end
   * @throws ConfigException naming {@code key.passwordFile} when the file cannot be read
   */
  public static String password(Credential c, String key) {
    if (c.password() != null) {
      return c.password();
    }
    try {
      String text = Files.readString(Path.of(c.passwordFile()), StandardCharsets.UTF_8);
      int nl = text.indexOf('\n');
      return (nl < 0 ? text : text.substring(0, nl)).strip();
    } catch (IOException e) {
      throw new ConfigException(key + ".passwordFile: cannot read " + c.passwordFile() + ": " + e.getMessage());
    }
  }
}
