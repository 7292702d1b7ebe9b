package io.wharf.server.auth.oidc;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How Wharf signs people in with an OpenID Connect provider (Keycloak, Dex, Entra ID, Okta,
 * Google ...): the provider's issuer URL, this client's registration there, and how the ID token's
 * claims become a Wharf user and roles.
 *
 * @param issuer the provider's issuer identifier; its discovery document is at
 *     {@code <issuer>/.well-known/openid-configuration}
 * @param clientId this client's id at the provider (also the audience ID tokens must name)
 * @param clientSecret null for a public client (PKCE alone); else sent as HTTP Basic credentials
 *     to the token endpoint ({@code client_secret_basic})
 * @param scopes requested scopes; {@code openid} is always among them
 * @param usernameClaim the claim that names the user, e.g. {@code preferred_username} or {@code email}
 * @param groupsClaim the claim with the user's groups (a list or one string); null: no groups
 * @param groupRoles provider group to Wharf roles
 * @param defaultRoles roles every user of this provider gets
 * @param clockSkew tolerance for {@code exp}, {@code iat} and {@code nbf}
 * @param loginTimeout how long a started login may take until the provider sends the user back
 * @param requestTimeout how long to wait for each answer of the provider (discovery, token endpoint)
 */
public record OidcSettings(URI issuer, String clientId, String clientSecret, List<String> scopes, String usernameClaim,
    String groupsClaim, Map<String, List<String>> groupRoles, List<String> defaultRoles, Duration clockSkew,
    Duration loginTimeout, Duration requestTimeout) {

  /**
   * Checks the settings and fills in the defaults: scopes {@code openid profile email} ({@code openid}
   * added when missing), username from {@code preferred_username}, no group roles or default roles,
   * a clock skew of 60 seconds, 10 minutes to log in, 10 seconds per request.
   *
   * @param issuer the provider's issuer identifier
   * @param clientId this client's id at the provider
   * @param clientSecret null for a public client
   * @param scopes requested scopes; null or empty: the defaults
   * @param usernameClaim the claim that names the user; null: {@code preferred_username}
   * @param groupsClaim the claim with the user's groups; null: no groups
   * @param groupRoles provider group to Wharf roles; null: none
   * @param defaultRoles roles every user of this provider gets; null: none
   * @param clockSkew tolerance for the token's times; null: 60 seconds
   * @param loginTimeout how long a started login may take; null: 10 minutes
   * @param requestTimeout how long to wait for each answer of the provider; null: 10 seconds
   * @throws NullPointerException if {@code issuer} or {@code clientId} is null
   */
  public OidcSettings {
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(clientId, "clientId");
    scopes = scopes == null || scopes.isEmpty() ? List.of("openid", "profile", "email")
        : scopes.contains("openid") ? List.copyOf(scopes)
        : java.util.stream.Stream.concat(java.util.stream.Stream.of("openid"), scopes.stream()).toList();
    usernameClaim = usernameClaim == null ? "preferred_username" : usernameClaim;
    groupRoles = groupRoles == null ? Map.of() : Map.copyOf(groupRoles);
    defaultRoles = defaultRoles == null ? List.of() : List.copyOf(defaultRoles);
    clockSkew = clockSkew == null ? Duration.ofSeconds(60) : clockSkew;
    loginTimeout = loginTimeout == null ? Duration.ofMinutes(10) : loginTimeout;
    requestTimeout = requestTimeout == null ? Duration.ofSeconds(10) : requestTimeout;
  }

  @Override
  public String toString() { // never the secret
    return "OidcSettings[issuer=" + issuer + ", clientId=" + clientId + ", clientSecret="
        + (clientSecret == null ? "none" : "***") + ", scopes=" + scopes + "]";
  }
}
