package io.wharf.server.admin;

import io.wharf.server.config.WharfConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Reads Nexus's Docker repository bodies ({@code POST}/{@code PUT
 * /v1/repositories/docker/{hosted,proxy,group}}, as the Terraform provider and Nexus's UI send
 * them) into the config file's repository shape, so an API repository is validated and built
 * exactly as a file one. Every problem is reported with the field it is in, all at once.
 *
 * <p>Mapping (Nexus → config file): {@code storage.blobStoreName} → {@code blobStore},
 * {@code storage.writePolicy} → {@code writePolicy}, {@code storage.latestPolicy} →
 * {@code allowLatestRedeploy}, {@code docker.httpPort} (or {@code httpsPort} when the server
 * speaks TLS) → {@code http.port}, {@code docker.forceBasicAuth=false} → {@code anonymousPull},
 * {@code proxy.remoteUrl}, {@code proxy.metadataMaxAge} (minutes, {@code -1} = never) →
 * {@code metadataMaxAge}, {@code negativeCache} → {@code negativeCacheTtl},
 * {@code httpClient.authentication} (type {@code username}) → {@code username}/{@code password},
 * {@code httpClient.connection.retries}/{@code timeout}/{@code userAgentSuffix} and
 * {@code httpClient.autoBlock} → {@code outbound}, {@code dockerProxy.indexType} → {@code index},
 * {@code group.memberNames}/{@code writableMember} → {@code members}/{@code writableMember};
 * {@code wharf.{hosts, anonymousPull, metadataCacheTtl, metadataMaxAge, negativeCacheTtl,
 * cleanup, quota, cache, maxConnections}} are Wharf's own. {@link #IGNORED} are accepted and
 * have no effect; settings Wharf cannot honour (a manual block, a routing rule, NTLM, Docker v1,
 * a subdomain, offline) are refused rather than silently dropped.
 */
final class NexusRepositoryBody {
  /** Nexus's name rule (NEXR), which Wharf's own (letters, digits, '.', '_', '-', at most 200) also holds. */
  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9-][a-zA-Z0-9_.-]{0,199}");

  /** Nexus fields accepted and ignored (listed in {@code docs/api.md}, "Live changes"). */
  static final List<String> IGNORED = List.of("format", "type", "url", "storage.strictContentTypeValidation",
      "cleanup.policyNames", "component.proprietaryComponents", "proxy.contentMaxAge",
      "httpClient.connection.enableCircularRedirects", "httpClient.connection.enableCookies",
      "httpClient.connection.useTrustStore", "dockerProxy.indexUrl", "dockerProxy.cacheForeignLayers",
      "dockerProxy.foreignLayerUrlWhitelist", "storage.blobStoreName (group)", "wharf.namespace", "wharf.upstream");

  private final List<ManagementException.Violation> violations = new ArrayList<>();
  private final JsonNode body;

  private NexusRepositoryBody(JsonNode body) {
    this.body = body;
  }

  /**
   * The repository {@code body} describes.
   *
   * @param type {@code hosted}, {@code proxy} or {@code group} (from the path)
   * @param pathName the name in the path of a {@code PUT}, null for a {@code POST}
   * @param existing the repository a {@code PUT} changes (its upstream password is kept when the
   *     body has none for the same user), else null
   * @param tls whether the server's listeners speak HTTPS ({@code server.tls})
   * @throws ManagementException a 400 naming every field at fault
   */
  static WharfConfig.Repository parse(JsonNode body, String type, String pathName, WharfConfig.Repository existing,
      boolean tls) {
    if (!body.isObject()) {
      throw ManagementException.invalid("*", "the body must be a JSON object");
    }
    NexusRepositoryBody b = new NexusRepositoryBody(body);
    WharfConfig.Repository r = b.read(type, pathName, existing, tls);
    if (!b.violations.isEmpty()) {
      throw ManagementException.invalid(b.violations);
    }
    return r;
  }

  private WharfConfig.Repository read(String type, String pathName, WharfConfig.Repository existing, boolean tls) {
    String name = string("name", pathName == null);
    if (name != null && !NAME.matcher(name).matches()) {
      invalid("name", "\"" + name + "\" is not a repository name: a letter, digit or '-', then letters, digits,"
          + " '_', '.' and '-', at most 200 characters");
    }
    if (pathName != null) {
      if (name != null && !name.equals(pathName)) {
        invalid("name", "a repository cannot be renamed (" + pathName + " → " + name + ")");
      }
      name = pathName;
    }
    Boolean online = bool("online");
    if (Boolean.FALSE.equals(online)) {
      invalid("online", "Wharf has no offline repositories; send true or leave it out");
    }
    object("storage");
    object("docker");
    object("wharf");

    // docker: the repository's own listener and anonymous pull
    Integer httpPort = port("docker.httpPort");
    Integer httpsPort = port("docker.httpsPort");
    Integer port = null;
    if (httpPort != null && httpsPort != null) {
      invalid("docker.httpsPort", "give httpPort or httpsPort, not both: a repository has one listener");
    } else if (httpPort != null && tls) {
      invalid("docker.httpPort", "this server's listeners speak HTTPS (server.tls); use docker.httpsPort");
    } else if (httpsPort != null && !tls) {
      invalid("docker.httpsPort", "this server has no TLS certificate (server.tls in the config file); use"
          + " docker.httpPort");
    } else {
      port = httpPort != null ? httpPort : httpsPort;
    }
    if (Boolean.TRUE.equals(bool("docker.pathEnabled")) && port != null) {
      invalid("docker.pathEnabled", "path-based routing cannot be combined with httpPort or httpsPort");
    }
    if (Boolean.TRUE.equals(bool("docker.v1Enabled"))) {
      invalid("docker.v1Enabled", "Wharf does not serve the Docker registry API v1");
    }
    if (string("docker.subdomain", false) != null) {
      invalid("docker.subdomain", "Wharf has no subdomain connector; claim host names with wharf.hosts");
    }
    Boolean forceBasicAuth = bool("docker.forceBasicAuth");
    Boolean anonymousPull = bool("wharf.anonymousPull");
    if (anonymousPull == null) {
      anonymousPull = forceBasicAuth == null ? null : !forceBasicAuth; // Nexus: false allows anonymous pull
    }
    Integer maxConnections = integer("wharf.maxConnections");
    WharfConfig.Listener http = port == null ? null : new WharfConfig.Listener(port, null, maxConnections);
    if (port == null && maxConnections != null) {
      invalid("wharf.maxConnections", "applies to a repository's own listener: set docker.httpPort too");
    }
    List<String> hosts = strings("wharf.hosts", false);
    if (!body.path("wharf").path("realms").isMissingNode() && !body.path("wharf").path("realms").isNull()) {
      invalid("wharf.realms", "a repository's realms are set in the configuration file only");
    }
    WharfConfig.Cleanup cleanup = bind("wharf.cleanup", WharfConfig.Cleanup.class);
    WharfConfig.Quota quota = bind("wharf.quota", WharfConfig.Quota.class);
    WharfConfig.Cache cache = bind("wharf.cache", WharfConfig.Cache.class);
    String metadataCacheTtl = string("wharf.metadataCacheTtl", false);

    // the type's own sections
    String blobStore = null;
    String writePolicy = null;
    Boolean latest = null;
    String remoteUrl = null;
    String index = null;
    String username = null;
    String password = null;
    String metadataMaxAge = null;
    String negativeCacheTtl = null;
    WharfConfig.Outbound outbound = null;
    List<String> members = null;
    String writableMember = null;
    switch (type) {
      case "hosted" -> {
        blobStore = string("storage.blobStoreName", true);
        String policy = string("storage.writePolicy", true);
        if (policy != null) {
          writePolicy = switch (policy.toUpperCase(Locale.ROOT)) {
            case "ALLOW", "ALLOW_ONCE", "DENY" -> policy.toLowerCase(Locale.ROOT);
            default -> {
              invalid("storage.writePolicy", "unknown write policy \"" + policy + "\"; known: ALLOW, ALLOW_ONCE, DENY");
              yield null;
            }
          };
        }
        latest = bool("storage.latestPolicy");
      }
      case "proxy" -> {
        blobStore = string("storage.blobStoreName", true);
        object("proxy");
        remoteUrl = string("proxy.remoteUrl", true);
        Integer maxAge = integer("proxy.metadataMaxAge");
        metadataMaxAge = string("wharf.metadataMaxAge", false);
        if (metadataMaxAge == null && maxAge != null) {
          metadataMaxAge = maxAge == -1 ? "36500d" : minutes(maxAge, "proxy.metadataMaxAge");
        }
        object("negativeCache");
        negativeCacheTtl = string("wharf.negativeCacheTtl", false);
        if (negativeCacheTtl == null) {
          Boolean enabled = bool("negativeCache.enabled");
          Integer ttl = integer("negativeCache.timeToLive");
          if (Boolean.FALSE.equals(enabled)) {
            negativeCacheTtl = "0s";
          } else if (ttl != null) {
            negativeCacheTtl = minutes(ttl, "negativeCache.timeToLive");
          }
        }
        object("httpClient");
        if (Boolean.TRUE.equals(bool("httpClient.blocked"))) {
          invalid("httpClient.blocked", "Wharf has no manual block; a failing upstream is blocked automatically");
        }
        Boolean autoBlock = bool("httpClient.autoBlock");
        object("httpClient.connection");
        Integer retries = integer("httpClient.connection.retries");
        Integer timeout = integer("httpClient.connection.timeout");
        if (timeout != null && (timeout < 1 || timeout > 3600)) {
          invalid("httpClient.connection.timeout", timeout + " is not a number of seconds between 1 and 3600");
          timeout = null;
        }
        String userAgent = string("httpClient.connection.userAgentSuffix", false);
        if (retries != null || timeout != null || userAgent != null || Boolean.FALSE.equals(autoBlock)) {
          outbound = new WharfConfig.Outbound(null, null, null, null, timeout == null ? null : timeout + "s",
              retries, userAgent, Boolean.FALSE.equals(autoBlock) ? new WharfConfig.AutoBlock(0, null, null) : null);
        }
        object("httpClient.authentication");
        if (present("httpClient.authentication")) {
          String authType = string("httpClient.authentication.type", true);
          if (authType != null && !authType.equals("username")) {
            invalid("httpClient.authentication.type", "\"" + authType + "\" is not supported; Wharf logs in to"
                + " upstreams with a user name and password (type username)");
          }
          username = string("httpClient.authentication.username", true);
          password = string("httpClient.authentication.password", false);
          if (password == null && existing != null && username != null && username.equals(existing.username())) {
            password = existing.password(); // never shown, so a read-modify-write cannot send it back
          }
          if (password == null && username != null) {
            invalid("httpClient.authentication.password", "missing");
          }
        }
        for (String rule : List.of("routingRule", "routingRuleName")) {
          if (string(rule, false) != null) {
            invalid(rule, "Wharf has no routing rules; leave it out (null)");
          }
        }
        object("dockerProxy");
        String indexType = string("dockerProxy.indexType", false);
        if (indexType != null) {
          index = switch (indexType.toUpperCase(Locale.ROOT)) {
            case "HUB" -> "hub";
            case "REGISTRY", "CUSTOM" -> "registry";
            default -> {
              invalid("dockerProxy.indexType", "unknown index type \"" + indexType + "\"; known: HUB, REGISTRY, CUSTOM");
              yield null;
            }
          };
        }
      }
      case "group" -> {
        object("group");
        members = strings("group.memberNames", true);
        if (members != null && members.isEmpty()) {
          invalid("group.memberNames", "a group needs at least one member");
        }
        writableMember = string("group.writableMember", false);
      }
      default -> throw new IllegalArgumentException(type);
    }
    if (!"hosted".equals(type)) {
      for (String key : List.of("cleanup", "quota", "metadataCacheTtl")) {
        if (present("wharf." + key)) {
          invalid("wharf." + key, "applies to hosted repositories only");
        }
      }
    }
    if (!"proxy".equals(type)) {
      for (String key : List.of("cache", "metadataMaxAge", "negativeCacheTtl")) {
        if (present("wharf." + key)) {
          invalid("wharf." + key, "applies to proxy repositories only");
        }
      }
    }
    // Its own namespace, always: a store's repositories then never see each other's images.
    String namespace = "group".equals(type) ? null : name;
    return new WharfConfig.Repository(name, type, http, hosts, anonymousPull, members, writableMember, blobStore,
        writePolicy, latest, metadataCacheTtl, remoteUrl, index, username, password, metadataMaxAge, negativeCacheTtl,
        outbound, namespace, null, cleanup, quota, cache);
  }

  // ---------------------------------------------------------------- fields

  private void invalid(String field, String message) {
    violations.add(new ManagementException.Violation(field, message));
  }

  private JsonNode at(String path) {
    JsonNode n = body;
    for (String part : path.split("\\.")) {
      n = n.path(part);
    }
    return n;
  }

  private boolean present(String path) {
    JsonNode n = at(path);
    return !n.isMissingNode() && !n.isNull();
  }

  /** A section that, if there, must be an object. */
  private void object(String path) {
    if (present(path) && !at(path).isObject()) {
      invalid(path, "must be an object");
    }
  }

  private String string(String path, boolean required) {
    JsonNode n = at(path);
    if (n.isMissingNode() || n.isNull()) {
      if (required) {
        invalid(path, "missing");
      }
      return null;
    }
    if (!n.isString()) {
      invalid(path, "must be a string");
      return null;
    }
    if (required && n.stringValue().isBlank()) {
      invalid(path, "must not be empty");
      return null;
    }
    return n.stringValue();
  }

  private Boolean bool(String path) {
    JsonNode n = at(path);
    if (n.isMissingNode() || n.isNull()) {
      return null;
    }
    if (!n.isBoolean()) {
      invalid(path, "must be true or false");
      return null;
    }
    return n.booleanValue();
  }

  private Integer integer(String path) {
    JsonNode n = at(path);
    if (n.isMissingNode() || n.isNull()) {
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      invalid(path, "must be a whole number");
      return null;
    }
    return n.intValue();
  }

  private Integer port(String path) {
    Integer p = integer(path);
    if (p != null && (p < 1 || p > 65535)) {
      invalid(path, p + " is not a port number (1-65535)");
      return null;
    }
    return p;
  }

  private List<String> strings(String path, boolean required) {
    JsonNode n = at(path);
    if (n.isMissingNode() || n.isNull()) {
      if (required) {
        invalid(path, "missing");
      }
      return null;
    }
    if (!n.isArray()) {
      invalid(path, "must be an array of strings");
      return null;
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isString()) {
        invalid(path, "must be an array of strings");
        return null;
      }
      out.add(e.stringValue());
    }
    return out;
  }

  private <T> T bind(String path, Class<T> type) {
    if (!present(path)) {
      return null;
    }
    if (!at(path).isObject()) {
      invalid(path, "must be an object");
      return null;
    }
    try {
      return RestCall.JSON.treeToValue(at(path), type);
    } catch (JacksonException e) {
      invalid(path, e.getOriginalMessage());
      return null;
    }
  }

  private String minutes(int value, String path) {
    if (value < 0) {
      invalid(path, value + " is not a number of minutes");
      return null;
    }
    return value + "m";
  }
}
