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
 *
 * @param name the repository's name
 * @param format always {@code docker}
 * @param type {@code hosted}, {@code proxy} or {@code group}
 * @param url {@code <base>/repository/<name>}, where Wharf serves the repository's registry API too
 * @param online always true: Wharf has no offline repositories
 * @param storage where it keeps its content; null for a group
 * @param cleanup Nexus's policy names, always none; null for a group
 * @param docker its own port and whether pulls need credentials
 * @param proxy a proxy's upstream and cache ages; null for the other types
 * @param negativeCache how long a proxy remembers an upstream 404; null for the other types
 * @param httpClient a proxy's connection to its upstream; null for the other types
 * @param dockerProxy how a proxy names its upstream's images; null for the other types
 * @param group a group's members; null for the other types
 * @param wharf Wharf's own settings
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
   * Where a hosted repository or a proxy keeps its content.
   *
   * @param blobStoreName the Wharf blob store (null for a group, which stores nothing)
   * @param strictContentTypeValidation always true: Wharf checks every manifest's media type
   * @param writePolicy hosted only: {@code ALLOW}, {@code ALLOW_ONCE} or {@code DENY}
   * @param latestPolicy hosted only: {@code latest} may be re-pushed despite {@code ALLOW_ONCE}
   */
  public record Storage(String blobStoreName, boolean strictContentTypeValidation, String writePolicy,
      Boolean latestPolicy) {}

  /**
   * Nexus's named cleanup policies; Wharf's policy is the repository's own, under {@code wharf.cleanup}.
   *
   * @param policyNames always empty
   */
  public record Cleanup(List<String> policyNames) {}

  /**
   * The repository's own listener: {@code httpPort} for plain HTTP, {@code httpsPort} with TLS
   * (the port actually bound). {@code pathEnabled}: Wharf always serves
   * {@code /repository/<name>/v2/} on the main port as well; shown {@code true} only for a
   * repository without a port, as Nexus allows path routing or a port, not both.
   *
   * @param v1Enabled always false: Wharf has no Docker registry API v1
   * @param forceBasicAuth false when anonymous pull is allowed (Nexus's meaning); always false on an open server
   * @param httpPort the repository's own plain-HTTP port; null with TLS or without a port
   * @param httpsPort its own TLS port; null without TLS or without a port
   * @param subdomain always null: Wharf routes by {@code wharf.hosts} instead
   * @param pathEnabled true for a repository without a port; null otherwise
   */
  public record Docker(boolean v1Enabled, boolean forceBasicAuth, Integer httpPort, Integer httpsPort,
      String subdomain, Boolean pathEnabled) {}

  /**
   * A proxy's upstream and cache ages.
   *
   * @param remoteUrl the upstream registry's URL
   * @param contentMaxAge minutes; {@code -1}: blobs and manifests by digest never expire
   * @param metadataMaxAge minutes a tag is served before the upstream is asked again
   */
  public record Proxy(String remoteUrl, int contentMaxAge, int metadataMaxAge) {}

  /**
   * How long a proxy remembers that its upstream has no such manifest or blob.
   *
   * @param enabled false when {@code negativeCacheTtl} is 0
   * @param timeToLive minutes an upstream 404 is remembered
   */
  public record NegativeCache(boolean enabled, int timeToLive) {}

  /**
   * A proxy's connection to its upstream.
   *
   * @param blocked Nexus's manual block (Wharf has none: false)
   * @param autoBlock Wharf always auto-blocks a failing upstream; its state is under {@code wharf.upstream}
   * @param connection retries, user agent and timeout: the repository's {@code outbound} over the
   *     server's {@code http}
   * @param authentication the upstream login; null when the proxy logs in to nobody
   */
  public record HttpClient(boolean blocked, boolean autoBlock, Connection connection, Authentication authentication) {}

  /**
   * A proxy's connection settings.
   *
   * @param retries how often a failed upstream request is tried again
   * @param userAgentSuffix the user agent the proxy sends
   * @param timeout seconds
   * @param enableCircularRedirects always false
   * @param enableCookies always false
   * @param useTrustStore always false (Nexus's own trust store)
   */
  public record Connection(Integer retries, String userAgentSuffix, Integer timeout, boolean enableCircularRedirects,
      boolean enableCookies, boolean useTrustStore) {}

  /**
   * The upstream login; the password is never returned.
   *
   * @param type always {@code username}
   * @param username the user the proxy logs in as
   */
  public record Authentication(String type, String username) {}

  /**
   * How a proxy names its upstream's images.
   *
   * @param indexType {@code HUB} (single-segment names mean {@code library/<name>}) or {@code REGISTRY}
   * @param indexUrl always null: the upstream is {@code proxy.remoteUrl}
   * @param cacheForeignLayers always false: foreign layers are not fetched
   * @param foreignLayerUrlWhitelist always empty
   */
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
   * writes them ({@code 6h}, {@code 10GiB}). Every field but {@code upstream} is the repository's
   * configuration as declared; each is null when not set.
   *
   * @param hosts the host names whose requests go to this repository
   * @param anonymousPull whether anyone may pull without credentials
   * @param realms the ways of logging in this repository accepts, over {@code security.realms}
   * @param namespace where it keeps its images in a shared blob store ({@code ""}: none)
   * @param metadataCacheTtl how long manifests and tag lookups may be served from memory
   * @param metadataMaxAge how long a proxy serves a tag before asking the upstream again
   * @param negativeCacheTtl how long a proxy remembers an upstream 404
   * @param cleanup a hosted repository's cleanup policy, as the config file writes it
   * @param quota a hosted repository's quota, as the config file writes it
   * @param cache a proxy's cache limits, as the config file writes it
   * @param upstream a proxy's upstream as this node sees it now; null for the other types
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

  /**
   * A proxy's upstream as this node sees it now.
   *
   * @param blocked whether calls to the upstream are auto-blocked now
   * @param blockedUntil when the block ends; null when not blocked
   * @param consecutiveFailures the upstream's failures since its last success
   * @param lastError the last failure; null when none
   */
  public record Upstream(boolean blocked, Instant blockedUntil, int consecutiveFailures, String lastError) {}
}
