package io.wharf.server.config;

import io.wharf.core.repository.WritePolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Reads the YAML configuration and validates all of it at start, so that a bad file fails before
 * anything listens, with a message that names the key ({@code repositories[1].writePolicy: …}).
 */
public final class ConfigLoader {
  /** Nexus's repository name rule: letters, digits, dot, underscore, dash (so {@code docker-gcr.io} is fine). */
  private static final Pattern REPOSITORY_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,199}");
  private static final YAMLMapper YAML = YAMLMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .build();

  private ConfigLoader() {}

  /**
   * Reads, parses and validates the configuration file.
   *
   * @param file the YAML file
   * @return the configuration, with its defaults filled in
   * @throws ConfigException if the file cannot be read, is no valid configuration, or fails validation
   */
  public static WharfConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": no such file");
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
    }
    return parse(text, file.toString());
  }

  /**
   * Parses and validates {@code yaml}; {@code source} names it in messages.
   *
   * @param yaml the configuration's text
   * @param source the file's name, or what stands for it
   * @return the configuration, with its defaults filled in
   * @throws ConfigException if the text is no valid configuration or fails validation
   */
  public static WharfConfig parse(String yaml, String source) {
    WharfConfig raw;
    try {
      raw = yaml.isBlank() ? new WharfConfig(null, null, null, null) : YAML.readValue(yaml, WharfConfig.class);
    } catch (UnrecognizedPropertyException e) {
      String at = path(e);
      String suffix = "." + e.getPropertyName();
      at = at.endsWith(suffix) ? at.substring(0, at.length() - suffix.length()) : at.equals(e.getPropertyName()) ? "" : at;
      Set<String> known = e.getKnownPropertyIds() == null ? Set.of()
          : e.getKnownPropertyIds().stream().map(String::valueOf).collect(Collectors.toCollection(java.util.TreeSet::new));
      throw new ConfigException(source + ": unknown key \"" + e.getPropertyName() + "\""
          + (at.isEmpty() ? "" : " in " + at) + (known.isEmpty() ? "" : "; known keys here: " + known), e);
    } catch (JacksonException e) {
      String at = path(e);
      throw new ConfigException(source + ": " + (at.isEmpty() ? "" : at + ": ") + e.getOriginalMessage(), e);
    }
    if (raw == null) {
      raw = new WharfConfig(null, null, null, null);
    }
    WharfConfig config = raw.withDefaults();
    validate(config, source);
    return config;
  }

  /**
   * Checks what the types alone cannot; also used for configurations built in code.
   *
   * @param c the configuration
   * @param source what to name it in messages
   * @throws ConfigException naming the first key at fault
   */
  public static void validate(WharfConfig c, String source) {
    String p = source + ": ";
    int port = c.server().port();
    if (port < 0 || port > 65535) {
      throw new ConfigException(p + "server.port: " + port + " is not a port number (0-65535)");
    }
    if (c.server().bind().isBlank()) {
      throw new ConfigException(p + "server.bind: must not be empty");
    }
    Durations.parse(c.server().shutdownTimeout(), p + "server.shutdownTimeout");
    positive(Durations.parse(c.server().idleTimeout(), p + "server.idleTimeout"), p + "server.idleTimeout");
    positive(Durations.parse(c.server().headerTimeout(), p + "server.headerTimeout"), p + "server.headerTimeout");
    maxConnections(c.server().maxConnections(), p + "server.maxConnections");
    AddressRanges.parse(c.server().trustedProxies(), p + "server.trustedProxies");
    for (Map.Entry<String, WharfConfig.BlobStore> e : c.blobStores().entrySet()) {
      String key = p + "blobStores." + e.getKey();
      switch (e.getValue().type()) {
        case "file" -> {
          if (e.getValue().path() == null || e.getValue().path().isBlank()) {
            throw new ConfigException(key + ".path: a file blob store needs a path");
          }
        }
        case "memory" -> { }
        case "s3" -> S3Stores.config(e.getValue(), key);
        default -> throw new ConfigException(key + ".type: unknown blob store type \"" + e.getValue().type()
            + "\"; known: file, memory, s3");
      }
      WharfConfig.BlobStore bs = e.getValue();
      if (bs.minFree() != null) {
        if ("s3".equals(bs.type())) {
          throw new ConfigException(key + ".minFree: an s3 store has no reserve of free space (S3 does not say how"
              + " full it is); remove the key");
        }
        Sizes.parse(bs.minFree(), key + ".minFree");
      }
      if (bs.maxSize() != null) {
        if (!"memory".equals(bs.type())) {
          throw new ConfigException(key + ".maxSize: only a memory store has a size limit; a " + bs.type()
              + " store is as large as its " + ("s3".equals(bs.type()) ? "bucket" : "disk"));
        }
        if (Sizes.parse(bs.maxSize(), key + ".maxSize") <= 0) {
          throw new ConfigException(key + ".maxSize: must be more than 0");
        }
      }
    }
    Map<String, WharfConfig.Repository> byName = new java.util.LinkedHashMap<>();
    List<WharfConfig.Repository> repos = c.repositories();
    for (int i = 0; i < repos.size(); i++) {
      WharfConfig.Repository r = repos.get(i);
      String key = p + "repositories[" + i + "]";
      if (r == null) {
        throw new ConfigException(key + ": empty entry");
      }
      if (r.name() == null || !REPOSITORY_NAME.matcher(r.name()).matches()) {
        throw new ConfigException(key + ".name: " + (r.name() == null ? "missing" : "\"" + r.name() + "\" is invalid")
            + "; use letters, digits, '.', '_' and '-'");
      }
      key = p + "repositories[" + i + "] (" + r.name() + ")";
      if (byName.putIfAbsent(r.name(), r) != null) {
        throw new ConfigException(key + ".name: duplicate repository name \"" + r.name() + "\"");
      }
      if (r.blobStore() != null && !c.blobStores().containsKey(r.blobStore())) {
        throw new ConfigException(key + ".blobStore: no blob store named \"" + r.blobStore() + "\"; defined: "
            + c.blobStores().keySet());
      }
      if (r.namespace() != null && !r.namespace().isEmpty() && !REPOSITORY_NAME.matcher(r.namespace()).matches()) {
        throw new ConfigException(key + ".namespace: \"" + r.namespace() + "\" is invalid; use letters, digits, '.', '_' and '-'");
      }
      switch (r.type()) {
        case "hosted" -> validateHosted(r, key);
        case "proxy" -> validateProxy(r, key);
        case "group" -> validateGroup(r, key);
        default -> throw new ConfigException(key + ".type: unknown repository type \"" + r.type()
            + "\"; known: hosted, proxy, group");
      }
    }
    validateReferences(c, byName, p);
    validateOutbound(c.http(), p + "http");
    SecurityFactory.validate(c, byName, p);
    LifecycleConfig.validate(c, p);
    SyncConfig.validate(c, byName, p);
    validateManagement(c.management(), p + "management");
    EventsFactory.validate(c.events(), p + "events");
  }

  /** Paths the registry and the management APIs own; metrics may not hide one of them. */
  private static final List<String> RESERVED_PATHS = List.of("/v2", "/repository", "/service", "/wharf", "/health");

  private static void validateManagement(WharfConfig.Management m, String key) {
    if (m == null) {
      return;
    }
    String metrics = m.metrics() == null ? null : m.metrics().path();
    if (metrics != null) {
      validatePath(metrics, key + ".metrics.path", "/metrics");
    }
    String ui = m.ui() == null ? null : m.ui().path();
    if (ui != null) {
      validatePath(ui, key + ".ui.path", "/ui");
    }
    boolean uiOn = m.ui() == null || m.ui().enabled() == null || m.ui().enabled();
    boolean metricsOn = m.metrics() == null || m.metrics().enabled() == null || m.metrics().enabled();
    String uiPath = ui == null ? WharfConfig.Ui.DEFAULT_PATH : ui;
    String metricsPath = metrics == null ? WharfConfig.Metrics.DEFAULT_PATH : metrics;
    if (uiOn && metricsOn && (uiPath.equals(metricsPath) || uiPath.startsWith(metricsPath + "/")
        || metricsPath.startsWith(uiPath + "/"))) {
      throw new ConfigException(key + ".ui.path: the web UI at " + uiPath + " and the metrics at " + metricsPath
          + " overlap; give one of them another path");
    }
  }

  /** A mount path of the management plane: well formed, and not under a path the registry or the APIs serve. */
  private static void validatePath(String path, String key, String example) {
    if (!path.matches("/[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*")) {
      throw new ConfigException(key + ": \"" + path + "\" is not a path such as " + example
          + " (a leading '/', then letters, digits, '.', '_', '~', '-' and '/', no trailing '/')");
    }
    if (path.matches(".*/\\.{1,2}(/.*)?")) {
      throw new ConfigException(key + ": \"" + path + "\" has a \".\" or \"..\" segment");
    }
    for (String reserved : RESERVED_PATHS) {
      if (path.equals(reserved) || path.startsWith(reserved + "/")) {
        throw new ConfigException(key + ": " + path + " is under " + reserved
            + ", which the registry or the management API serves; reserved: " + RESERVED_PATHS);
      }
    }
  }

  /** Cross-repository rules: members exist, no cycles, ports and host names unique, default exists. */
  private static void validateReferences(WharfConfig c, Map<String, WharfConfig.Repository> byName, String p) {
    Map<Integer, String> ports = new java.util.HashMap<>();
    if (c.server().port() != 0) {
      ports.put(c.server().port(), "server.port");
    }
    Map<String, String> hosts = new java.util.HashMap<>();
    for (WharfConfig.Repository r : byName.values()) {
      String key = p + "repositories (" + r.name() + ")";
      if (r.http() != null) {
        Integer port = r.http().port();
        if (port == null || port < 0 || port > 65535) {
          throw new ConfigException(key + ".http.port: " + (port == null ? "missing" : port + " is not a port number"));
        }
        if (r.http().maxConnections() != null) {
          maxConnections(r.http().maxConnections(), key + ".http.maxConnections");
        }
        String clash = port == 0 ? null : ports.putIfAbsent(port, "repository " + r.name());
        if (clash != null) {
          throw new ConfigException(key + ".http.port: port " + port + " is already used by " + clash);
        }
      }
      for (String h : r.hosts()) {
        String other = hosts.putIfAbsent(h.toLowerCase(Locale.ROOT), r.name());
        if (other != null) {
          throw new ConfigException(key + ".hosts: host " + h + " is already claimed by repository " + other);
        }
      }
      if (r.isGroup()) {
        for (String m : r.members()) {
          if (!byName.containsKey(m)) {
            throw new ConfigException(key + ".members: unknown member \"" + m + "\"; repositories: " + byName.keySet());
          }
        }
        if (r.writableMember() != null) {
          WharfConfig.Repository w = byName.get(r.writableMember());
          if (w == null || !r.members().contains(r.writableMember())) {
            throw new ConfigException(key + ".writableMember: \"" + r.writableMember() + "\" is not a member of the group");
          }
          if (!"hosted".equals(w.type())) {
            throw new ConfigException(key + ".writableMember: \"" + r.writableMember() + "\" is a " + w.type()
                + " repository; only a hosted repository can take pushes");
          }
        }
      }
    }
    for (WharfConfig.Repository r : byName.values()) {
      if (r.isGroup()) {
        findCycle(r.name(), byName, new java.util.ArrayList<>(), p);
      }
    }
    String def = c.server().defaultRepository();
    if (def != null && !byName.containsKey(def)) {
      throw new ConfigException(p + "server.defaultRepository: no repository named \"" + def + "\"");
    }
  }

  private static void findCycle(String name, Map<String, WharfConfig.Repository> byName, List<String> path, String p) {
    if (path.contains(name)) {
      List<String> cycle = new java.util.ArrayList<>(path.subList(path.indexOf(name), path.size()));
      cycle.add(name);
      throw new ConfigException(p + "repositories (" + path.get(0) + ").members: groups form a cycle: "
          + String.join(" -> ", cycle));
    }
    WharfConfig.Repository r = byName.get(name);
    if (r == null || !r.isGroup()) {
      return;
    }
    path.add(name);
    for (String m : r.members()) {
      findCycle(m, byName, path, p);
    }
    path.remove(path.size() - 1);
  }

  private static void validateGroup(WharfConfig.Repository r, String key) {
    onlyFor("hosted", key, r.writePolicy(), "writePolicy", r.allowLatestRedeploy(), "allowLatestRedeploy",
        r.metadataCacheTtl(), "metadataCacheTtl");
    onlyFor("proxy", key, r.remoteUrl(), "remoteUrl", r.index(), "index", r.username(), "username",
        r.password(), "password", r.metadataMaxAge(), "metadataMaxAge", r.negativeCacheTtl(), "negativeCacheTtl",
        r.outbound(), "outbound");
    onlyFor("hosted and proxy", key, r.blobStore(), "blobStore", r.namespace(), "namespace");
    if (r.members() == null || r.members().isEmpty()) {
      throw new ConfigException(key + ".members: a group needs at least one member");
    }
  }

  private static void validateHosted(WharfConfig.Repository r, String key) {
    writePolicy(r.writePolicy(), key + ".writePolicy");
    if (r.metadataCacheTtl() != null) {
      Durations.parse(r.metadataCacheTtl(), key + ".metadataCacheTtl");
    }
    onlyFor("group", key, r.members(), "members", r.writableMember(), "writableMember");
    onlyFor("proxy", key, r.remoteUrl(), "remoteUrl", r.index(), "index", r.username(), "username",
        r.password(), "password", r.metadataMaxAge(), "metadataMaxAge", r.negativeCacheTtl(), "negativeCacheTtl",
        r.outbound(), "outbound");
  }

  private static void validateProxy(WharfConfig.Repository r, String key) {
    onlyFor("hosted", key, r.writePolicy(), "writePolicy", r.allowLatestRedeploy(), "allowLatestRedeploy",
        r.metadataCacheTtl(), "metadataCacheTtl");
    onlyFor("group", key, r.members(), "members", r.writableMember(), "writableMember");
    if (r.remoteUrl() == null || r.remoteUrl().isBlank()) {
      throw new ConfigException(key + ".remoteUrl: a proxy repository needs the URL of its upstream registry,"
          + " e.g. https://registry-1.docker.io");
    }
    remoteUrl(r.remoteUrl(), key + ".remoteUrl");
    indexMode(r.index(), key + ".index");
    Durations.parse(r.metadataMaxAge(), key + ".metadataMaxAge");
    Durations.parse(r.negativeCacheTtl(), key + ".negativeCacheTtl");
    if (r.outbound() != null) {
      validateOutbound(r.outbound(), key + ".outbound");
    }
  }

  private static void validateOutbound(WharfConfig.Outbound o, String key) {
    if (o == null) {
      return;
    }
    proxyServer(o.proxy(), key + ".proxy");
    proxyServer(o.httpsProxy(), key + ".httpsProxy");
    if (o.connectTimeout() != null) {
      Durations.parse(o.connectTimeout(), key + ".connectTimeout");
    }
    if (o.timeout() != null) {
      Durations.parse(o.timeout(), key + ".timeout");
    }
    if (o.retries() != null && (o.retries() < 0 || o.retries() > 10)) {
      throw new ConfigException(key + ".retries: " + o.retries() + " is not between 0 and 10");
    }
    WharfConfig.AutoBlock a = o.autoBlock();
    if (a != null) {
      if (a.after() != null && a.after() < 0) {
        throw new ConfigException(key + ".autoBlock.after: " + a.after() + " is negative (0 turns auto-block off)");
      }
      Duration initial = a.initial() == null ? null : Durations.parse(a.initial(), key + ".autoBlock.initial");
      Duration max = a.max() == null ? null : Durations.parse(a.max(), key + ".autoBlock.max");
      if (initial != null && max != null && max.compareTo(initial) < 0) {
        throw new ConfigException(key + ".autoBlock.max: " + a.max() + " is shorter than initial " + a.initial());
      }
    }
  }

  private static void proxyServer(WharfConfig.ProxyServer p, String key) {
    if (p == null) {
      return;
    }
    if (p.host() == null || p.host().isBlank()) {
      throw new ConfigException(key + ".host: missing");
    }
    if (p.port() == null || p.port() <= 0 || p.port() > 65535) {
      throw new ConfigException(key + ".port: " + (p.port() == null ? "missing" : p.port() + " is not a port number"));
    }
  }

  private static void positive(java.time.Duration d, String key) {
    if (d.isZero()) {
      throw new ConfigException(key + ": must be longer than 0");
    }
  }

  private static void maxConnections(int max, String key) {
    if (max < 1) {
      throw new ConfigException(key + ": " + max + " is not a number of connections (1 or more)");
    }
  }

  /** Refuses keys that belong to another repository type, so a misplaced key is not silently ignored. */
  private static void onlyFor(String type, String key, Object... valuesAndNames) {
    for (int i = 0; i < valuesAndNames.length; i += 2) {
      if (valuesAndNames[i] != null) {
        throw new ConfigException(key + "." + valuesAndNames[i + 1] + ": applies to " + type + " repositories only");
      }
    }
  }

  static java.net.URI remoteUrl(String value, String key) {
    try {
      java.net.URI u = new java.net.URI(value);
      if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
        throw new java.net.URISyntaxException(value, "expected http:// or https:// and a host");
      }
      return u;
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException(key + ": invalid URL \"" + value + "\": " + e.getReason());
    }
  }

  static io.wharf.proxy.IndexMode indexMode(String value, String key) {
    return switch (value) {
      case "hub" -> io.wharf.proxy.IndexMode.HUB;
      case "registry" -> io.wharf.proxy.IndexMode.REGISTRY;
      default -> throw new ConfigException(key + ": unknown index \"" + value + "\"; known: hub (Docker Hub: "
          + "single-segment names mean library/<name>), registry");
    };
  }

  static WritePolicy writePolicy(String value, String key) {
    try {
      return WritePolicy.valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + ": unknown write policy \"" + value + "\"; known: allow, allow_once, deny");
    }
  }

  private static String path(JacksonException e) {
    StringBuilder sb = new StringBuilder();
    for (JacksonException.Reference ref : e.getPath()) {
      if (ref.getPropertyName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getPropertyName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }
}
