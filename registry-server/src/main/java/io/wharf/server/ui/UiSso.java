package io.wharf.server.ui;

import io.wharf.server.auth.oidc.OidcException;
import io.wharf.server.auth.oidc.OidcLogin;
import io.wharf.server.auth.oidc.OidcProvider;
import io.wharf.server.auth.oidc.OidcSettings;
import io.wharf.server.config.ConfigException;
import io.wharf.server.config.WharfConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;

/**
 * The web UI's single sign-on ({@code security.oidc}): the provider is discovered on the first
 * sign-in, not at start, so a provider that is down when Wharf starts costs only the SSO button
 * until it is back (local users log in as ever). Thread-safe.
 */
final class UiSso {
  private final OidcSettings settings;
  private final URI redirectUri;
  private final String label;
  private final Clock clock;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
      .followRedirects(HttpClient.Redirect.NEVER).build();
  private OidcLogin login; // guarded by this

  private UiSso(OidcSettings settings, URI redirectUri, String label, Clock clock) {
    this.settings = settings;
    this.redirectUri = redirectUri;
    this.label = label;
    this.clock = clock;
  }

  /**
   * The SSO of {@code security.oidc}; null when there is none.
   *
   * @throws ConfigException naming the key of a missing or malformed value
   */
  static UiSso from(WharfConfig.Oidc c, Clock clock) {
    if (c == null) {
      return null;
    }
    URI issuer = httpUri(c.issuer(), "security.oidc.issuer");
    if (c.clientId() == null || c.clientId().isBlank()) {
      throw new ConfigException("security.oidc.clientId: the client id registered at the provider is required");
    }
    URI redirect = c.redirectUri() == null ? null : httpUri(c.redirectUri(), "security.oidc.redirectUri");
    OidcSettings settings = new OidcSettings(issuer, c.clientId(), blankToNull(c.clientSecret()), c.scopes(),
        c.usernameClaim(), c.groupsClaim() == null ? "groups" : c.groupsClaim(), c.groupRoles(), c.defaultRoles(),
        null, null, null);
    return new UiSso(settings, redirect, c.label() == null ? "Sign in with single sign-on" : c.label(), clock);
  }

  /** How long a begun sign-in may take: the life of its state cookie. */
  int loginSeconds() {
    return (int) settings.loginTimeout().toSeconds();
  }

  String label() {
    return label;
  }

  /** The callback the provider sends the browser back to: the configured one, else {@code fallback}. */
  URI redirectUri(URI fallback) {
    return redirectUri != null ? redirectUri : fallback;
  }

  /** The login flow, discovering the provider on first use (again after a failed discovery). */
  synchronized OidcLogin flow() throws OidcException {
    if (login == null) {
      login = new OidcLogin(OidcProvider.discover(settings, http), clock);
    }
    return login;
  }

  private static URI httpUri(String value, String key) {
    try {
      URI u = value == null ? null : new URI(value.strip());
      if (u == null || !u.isAbsolute() || !("https".equals(u.getScheme()) || "http".equals(u.getScheme()))) {
        throw new ConfigException(key + ": an http(s) URL is required, not \"" + value + "\"");
      }
      return u;
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException(key + ": not a URL: " + e.getMessage(), e);
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
