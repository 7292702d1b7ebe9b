package io.wharf.server.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * One repository's settings in the shape of Nexus's Docker repository bodies ({@code GET
 * /v1/repositorySettings}, {@code GET /v1/repositories/docker/<type>/<name>}), so tools written
 * for Nexus (the Terraform provider, Ansible collections) read them. Sections that do not apply to
 * a type are absent (a hosted repository has no {@code proxy}); inside a section, a field Wharf
 * has no value for is {@code null}, as in Nexus. What Wharf has and Nexus lacks is under
 * {@link Wharf wharf}. Never a secret: an upstream password is not part of this model at all.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RepositorySettings(
    String name,
    String format,
    String type,
    String url,
    boolean online,
    Storage storage,
    Cleanup cleanup,
    Docker docker,
    Proxy proxy,
    NegativeCache negativeCache,
    HttpClient httpClient,
    DockerProxy dockerProxy,
    Group group,
    Wharf wharf) {

  /**
   * @param blobStoreName the Wharf blob store (null for a group, which stores nothing)
   * @param writePolicy hosted only: {@code ALLOW}, {@code ALLOW_ONCE} or {@code DENY}
   * @param latestPolicy hosted only: {@code latest} may be re-pushed despite {@code ALLOW_ONCE}
   */
  public record Storage(String blobStoreName, boolean strictContentTypeValidation, String writePolicy,
      Boolean latestPolicy) {}

  /** Nexus's named cleanup policies; Wharf's policy is the repository's own, under {@code wharf.cleanup}. */
  record Cleanup(List<String> policyNames) {}

  /**
   * The repository's own listener: {@code httpPort} for plain HTTP, {@code httpsPort} with TLS
   * (the port actually bound). {@code pathEnabled}: Wharf always serves
   * {@code /repository/<name>/v2/} on the main port as well; shown {@code true} only for a
   * repository without a port, as Nexus allows path routing or a port, not both.
   */
  public record Docker(boolean v1Enabled, boolean forceBasicAuth, Integer httpPort, Integer httpsPort,
      String subdomain, Boolean pathEnabled) {}

  /**
   * @param contentMaxAge minutes; {@code -1}: blobs and manifests by digest never expire
   * @param metadataMaxAge minutes a tag is served before the upstream is asked again
   */
  public record Proxy(String remoteUrl, int contentMaxAge, int metadataMaxAge) {}

  /** @param timeToLive minutes an upstream 404 is remembered */
  record NegativeCache(boolean enabled, int timeToLive) {}

  /**
   * @param blocked Nexus's manual block (Wharf has none: false)
   * @param autoBlock Wharf always auto-blocks a failing upstream; its state is under {@code wharf.upstream}
   */
  public record HttpClient(boolean blocked, boolean autoBlock, Connection connection, Authentication authentication) {}

  /** @param timeout seconds */
  record Connection(Integer retries, String userAgentSuffix, Integer timeout, boolean enableCircularRedirects,
      boolean enableCookies, boolean useTrustStore) {}

  /** The upstream login: its type and user name; the password is never returned. */
  public record Authentication(String type, String username) {}

  /** @param indexType {@code HUB} (single-segment names mean {@code library/<name>}) or {@code REGISTRY} */
  public record DockerProxy(String indexType, String indexUrl, boolean cacheForeignLayers,
      List<String> foreignLayerUrlWhitelist) {}

  /**
   * A group's members, in the order a pull tries them.
   *
   * @param memberNames the member repositories, first match wins
   * @param writableMember the member a push to the group lands in; null: the group takes no pushes
   */
  public record Group(List<String> memberNames, String writableMember) {}

  /**
   * Wharf's own settings, for what Nexus has no field for. Durations and sizes as the config file
   * writes them ({@code 6h}, {@code 10GiB}).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Wharf(
      List<String> hosts,
      Boolean anonymousPull,
      List<String> realms,
      String namespace,
      String metadataCacheTtl,
      String metadataMaxAge,
      String negativeCacheTtl,
      Object cleanup,
      Object quota,
      Object cache,
      Upstream upstream) {}

  /** A proxy's upstream as this node sees it now: auto-blocked or not, until when, and the last failure. */
  record Upstream(boolean blocked, Instant blockedUntil, int consecutiveFailures, String lastError) {}
}
