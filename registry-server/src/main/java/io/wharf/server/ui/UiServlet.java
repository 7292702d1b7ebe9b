package io.wharf.server.ui;

import io.wharf.server.auth.ApiCredentials;
import io.wharf.server.auth.Identity;
import io.wharf.server.auth.Realm;
import io.wharf.server.auth.oidc.OidcException;
import io.wharf.server.auth.oidc.OidcIdentity;
import io.wharf.server.auth.oidc.OidcLogin;
import io.wharf.server.http.RequestOrigin;
import gg.jte.html.HtmlTemplateOutput;
import gg.jte.html.OwaspHtmlTemplateOutput;
import gg.jte.output.Utf8ByteOutput;
import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.server.admin.Caller;
import io.wharf.server.admin.ManagementException;
import io.wharf.server.auth.RegistrySecurity;
import io.wharf.server.config.WharfConfig;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web UI: server-rendered HTML at {@code management.ui.path} (default {@code /ui}) of the main
 * port. It calls the same services as the management API ({@link UiServices}) with the caller its
 * session stands for, so it shows and does nothing a script could not.
 *
 * <pre>
 * GET  /ui/                                        repositories the caller may read
 * GET  /ui/login, POST /ui/login, POST /ui/logout  a session cookie for a configured user
 * GET  /ui/repositories/{repo}                     images of a repository (paged)
 * GET  /ui/repositories/{repo}/images/{image}      tags of an image (paged, filtered: ?q=)
 * GET  /ui/repositories/{repo}/images/{image}:{tag} or {image}@{digest}   one image
 * GET  /ui/repositories/{repo}/images/{image}:{tag}/delete   what deleting the tag does
 * POST (same)                                      delete the tag
 * GET  /ui/search?q=                               tags by image name, tag or digest, every readable repository
 * GET  /ui/blobstores                             blob stores: size, free space, quotas, maintenance
 * GET  /ui/blobstores/{store}/preview              what its maintenance would remove now (a dry run)
 * POST /ui/blobstores/{store}/run                  run its maintenance now
 * GET  /ui/security                               users, roles, anonymous access (POST .../anonymous)
 * GET, POST /ui/security/users/new                 create a user
 * GET, POST /ui/security/users/{id}/password       set a user's password
 * GET, POST /ui/admin/repositories/new?type=       create a hosted, proxy or group repository
 * GET, POST /ui/admin/repositories/{repo}/edit     change one (created through the UI or the API)
 * GET, POST /ui/admin/repositories/{repo}/delete   what deleting it does; delete it
 * GET  /ui/robots                                  robot accounts (administrators)
 * GET, POST /ui/robots/new                         make one; the answer shows its secret, once
 * GET, POST /ui/robots/{name}/revoke               what revoking it does; revoke it
 * GET  /ui/tokens, GET, POST /ui/tokens/new, GET, POST /ui/tokens/{id}/revoke   the same for the visitor's API tokens
 * GET  /ui/static/...                              CSS, htmx, the copy buttons' script
 * </pre>
 *
 * <p><b>Security.</b> Who the caller is comes from the session cookie ({@code HttpOnly},
 * {@code SameSite=Lax}, {@code Secure} over TLS), else anonymous; reads are filtered by the
 * caller's rights, actions checked again here whatever the page showed. Every {@code POST} needs
 * the form's CSRF token (the session's; before login a double-submit cookie) and, when the browser
 * says where it comes from ({@code Origin}, {@code Sec-Fetch-Site}), this very origin. Logins go
 * through {@link RegistrySecurity#formLogin}: the registry's throttle, audit and metrics. Pages
 * carry a strict Content-Security-Policy (scripts and styles only from {@code /ui/static}).
 */
public final class UiServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(UiServlet.class);
  static final String SESSION_COOKIE = "wharf_session";
  static final String CSRF_COOKIE = "wharf_csrf";
  /** The state of a single sign-on this browser began (see {@link #ssoBegin}). */
  static final String SSO_COOKIE = "wharf_sso";
  static final String CSRF_FIELD = "_csrf";
  /** The header that carries a session's CSRF token on calls to the management APIs. */
  static final String CSRF_HEADER = "X-Wharf-CSRF";
  static final String HTMX_VERSION = "2.0.10";
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  private static final Map<String, String[]> STATIC = Map.of(
      "wharf.css", new String[] {"io/wharf/server/ui/static/wharf.css", "text/css; charset=utf-8"},
      "wharf.js", new String[] {"io/wharf/server/ui/static/wharf.js", "text/javascript; charset=utf-8"},
      "htmx.min.js", new String[] {"META-INF/resources/webjars/htmx.org/" + HTMX_VERSION + "/dist/htmx.min.js",
          "text/javascript; charset=utf-8"});

  /** The UI's path ({@code management.ui.path}, e.g. {@code /ui}). */
  private final String base;
  private final transient RegistrySecurity security;
  private final transient UiSessions sessions;
  private final transient UiPages pages;
  private final transient UiSso sso;

  UiServlet(String base, RegistrySecurity security, UiSessions sessions, UiPages pages, UiSso sso) {
    this.base = base;
    this.security = security;
    this.sessions = sessions;
    this.pages = pages;
    this.sso = sso;
  }

  /**
   * Mounts the UI on {@code context} at {@code management.ui.path}, and a redirect from {@code /}
   * to it; nothing when {@code management.ui.enabled} is false. Every other path keeps going where
   * it went: the UI owns only its own path prefix and the bare root.
   *
   * @param security null: an open server (no logins; everyone may everything)
   * @param boundPort the port of a repository's own listener (null: none), for the addresses the UI shows
   * @param context the management plane's context, not yet started
   * @param config the server's configuration ({@code management.ui}, {@code server.publicUrl}, {@code security})
   * @param services the management services the pages call
   */
  public static void install(ServletContextHandler context, WharfConfig config, UiServices services,
      RegistrySecurity security, Function<String, Integer> boundPort) {
    config = config.withDefaults();
    WharfConfig.Ui ui = config.management().ui();
    if (!Boolean.TRUE.equals(ui.enabled())) {
      return;
    }
    String base = ui.path();
    URI publicUrl = config.server().publicUrl() == null ? null : URI.create(config.server().publicUrl());
    Clock clock = Clock.systemUTC();
    UiSso sso = security == null || config.security() == null ? null : UiSso.from(config.security().oidc(), clock);
    UiPages pages = new UiPages(base, config, services, boundPort, publicUrl, clock, sso == null ? null : sso.label());
    UiServlet servlet = new UiServlet(base, security, new UiSessions(clock), pages, sso);
    if (security != null) {
      security.browserSessions(servlet::apiUser); // the APIs accept a UI session with its CSRF token
    }
    context.addServlet(new ServletHolder("ui", servlet), base + "/*");
    // "" is the context root alone: GET / sends a browser to the UI; /v2/... and the rest stay the registry's.
    context.addServlet(new ServletHolder("ui-root", new RootRedirect(base + "/")), "");
  }

  /** Answers {@code GET /} with a redirect to the UI. */
  static final class RootRedirect extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private final String target;

    RootRedirect(String target) {
      this.target = target;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) {
      resp.setStatus(HttpServletResponse.SC_FOUND);
      resp.setHeader("Location", req.getContextPath() + target);
    }
  }

  /**
   * Who is asking, as the pages see it.
   *
   * @param session null for anonymous
   * @param csrf the token this visitor's forms carry
   */
  record Visitor(Caller caller, UiSessions.Session session, String csrf) {
    String user() {
      return session == null ? null : session.user;
    }
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    req.setCharacterEncoding("UTF-8");
    resp.setHeader("X-Content-Type-Options", "nosniff");
    resp.setHeader("Referrer-Policy", "same-origin");
    resp.setHeader("X-Frame-Options", "DENY");
    String path = req.getPathInfo() == null ? "" : req.getPathInfo();
    if (path.isEmpty()) {
      resp.setStatus(HttpServletResponse.SC_FOUND);
      resp.setHeader("Location", req.getContextPath() + base + "/");
      return;
    }
    if (path.startsWith("/static/")) {
      serveStatic(req, resp, path.substring("/static/".length()));
      return;
    }
    resp.setHeader("Content-Security-Policy", CSP);
    resp.setHeader("Cache-Control", "no-store");
    Visitor visitor = visitor(req, resp);
    String method = req.getMethod();
    boolean post = method.equals("POST");
    try {
      if (!post && !method.equals("GET") && !method.equals("HEAD")) {
        resp.setHeader("Allow", "GET, HEAD, POST");
        throw new ManagementException(ManagementException.Reason.METHOD_NOT_ALLOWED,
            method + " is not used by this page");
      }
      if (post) {
        checkForm(req, visitor);
      }
      route(req, resp, path, post, visitor);
    } catch (ManagementException e) {
      error(req, resp, visitor, e.reason().status(), e.getMessage());
    } catch (RegistryException e) {
      if (e.code() == ErrorCode.TOOMANYREQUESTS && e.detail() instanceof Map<?, ?> m && m.get("retryAfter") != null) {
        resp.setHeader("Retry-After", String.valueOf(m.get("retryAfter")));
      }
      error(req, resp, visitor, e.code().httpStatus(), e.getMessage());
    } catch (IOException | RuntimeException e) {
      LOG.warn("{} {} failed", method, req.getRequestURI(), e);
      error(req, resp, visitor, 500, "The server could not answer this page; its log has the details.");
    }
  }

  private void route(HttpServletRequest req, HttpServletResponse resp, String path, boolean post, Visitor visitor)
      throws IOException {
    if (path.equals("/")) {
      getOnly(post);
      page(resp, 200, pages.repositories(req, visitor));
      return;
    }
    if (path.equals("/login")) {
      if (post) {
        login(req, resp, visitor);
      } else {
        page(resp, 200, pages.login(visitor, null, null, safeNext(req.getParameter("next"))));
      }
      return;
    }
    if (path.equals("/login/sso")) {
      getOnly(post);
      ssoBegin(req, resp, visitor);
      return;
    }
    if (path.equals("/login/sso/callback")) {
      getOnly(post);
      ssoCallback(req, resp, visitor);
      return;
    }
    if (path.equals("/logout")) {
      if (!post) {
        throw new ManagementException(ManagementException.Reason.METHOD_NOT_ALLOWED,
            "log out with the button of the page header (a POST)");
      }
      if (visitor.session() != null) {
        sessions.remove(visitor.session().id);
      }
      cookie(req, resp, SESSION_COOKIE, "", 0, "Lax");
      redirect(req, resp, "/?loggedOut");
      return;
    }
    if (path.startsWith("/admin/")) {
      admin(req, resp, path.substring("/admin".length()), post, visitor);
      return;
    }
    if (path.equals("/blobstores")) {
      getOnly(post);
      page(resp, 200, pages.blobStores(req, visitor));
      return;
    }
    if (path.startsWith("/blobstores/") && path.endsWith("/run") && post) {
      String store = path.substring("/blobstores/".length(), path.length() - "/run".length());
      redirect(req, resp, pages.runMaintenance(visitor, store));
      return;
    }
    if (path.startsWith("/blobstores/") && path.endsWith("/preview")) {
      getOnly(post);
      String store = path.substring("/blobstores/".length(), path.length() - "/preview".length());
      page(resp, 200, pages.preview(visitor, store));
      return;
    }
    if (path.equals("/security") || path.startsWith("/security/")) {
      security(req, resp, path.substring("/security".length()), post, visitor);
      return;
    }
    if (path.equals("/robots") || path.startsWith("/robots/")) {
      credentials(req, resp, path.substring("/robots".length()), post, visitor, true);
      return;
    }
    if (path.equals("/tokens") || path.startsWith("/tokens/")) {
      credentials(req, resp, path.substring("/tokens".length()), post, visitor, false);
      return;
    }
    if (path.equals("/search")) {
      getOnly(post);
      page(resp, 200, pages.search(req, visitor));
      return;
    }
    String prefix = "/repositories/";
    if (path.startsWith(prefix)) {
      String rest = path.substring(prefix.length());
      int slash = rest.indexOf('/');
      String repository = slash < 0 ? rest : rest.substring(0, slash);
      String below = slash < 0 ? "" : rest.substring(slash);
      if (below.isEmpty()) {
        getOnly(post);
        page(resp, 200, pages.images(req, visitor, repository));
        return;
      }
      if (below.startsWith("/images/") && below.length() > "/images/".length()) {
        image(req, resp, post, visitor, repository, below.substring("/images/".length()));
        return;
      }
    }
    throw new ManagementException(ManagementException.Reason.NOT_FOUND, "There is no page at " + base + path + ".");
  }

  /**
   * {@code team/app} (tags), {@code team/app:1.0} or {@code team/app@sha256:...} (one image),
   * {@code team/app:1.0/delete}. Image names have no {@code :} or {@code @} and tags no {@code /},
   * so the split is unambiguous.
   */
  private void image(HttpServletRequest req, HttpServletResponse resp, boolean post, Visitor visitor,
      String repository, String spec) throws IOException {
    boolean delete = false;
    if (spec.endsWith("/delete") && spec.indexOf(':') >= 0) {
      delete = true;
      spec = spec.substring(0, spec.length() - "/delete".length());
    }
    int at = spec.indexOf('@');
    int colon = spec.indexOf(':');
    if (at < 0 && colon < 0) {
      getOnly(post);
      page(resp, 200, pages.tags(req, visitor, repository, spec));
      return;
    }
    String image = at >= 0 ? spec.substring(0, at) : spec.substring(0, colon);
    String reference = at >= 0 ? spec.substring(at + 1) : spec.substring(colon + 1);
    if (!delete) {
      getOnly(post);
      page(resp, 200, pages.image(req, visitor, repository, image, reference));
      return;
    }
    if (at >= 0) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND, "Only tags are deleted here.");
    }
    if (post) {
      String done = pages.deleteTag(visitor, repository, image, reference);
      redirect(req, resp, done);
    } else {
      page(resp, 200, pages.confirmDelete(req, visitor, repository, image, reference));
    }
  }

  /** The administrators' pages: {@code /admin/repositories/new?type=}, {@code .../{name}/edit}, {@code .../{name}/delete}. */
  private void admin(HttpServletRequest req, HttpServletResponse resp, String path, boolean post, Visitor visitor)
      throws IOException {
    String repos = "/repositories/";
    if (path.startsWith(repos)) {
      String rest = path.substring(repos.length());
      if (rest.equals("new")) {
        String type = UiPages.repositoryType(req.getParameter("type"));
        repositoryForm(req, resp, post, visitor, type, null);
        return;
      }
      int slash = rest.indexOf('/');
      if (slash > 0) {
        String name = rest.substring(0, slash);
        String action = rest.substring(slash + 1);
        if (action.equals("edit")) {
          repositoryForm(req, resp, post, visitor, null, name);
          return;
        }
        if (action.equals("delete")) {
          if (post) {
            redirect(req, resp, pages.deleteRepository(visitor, name));
          } else {
            page(resp, 200, pages.confirmDeleteRepository(visitor, name));
          }
          return;
        }
      }
    }
    throw new ManagementException(ManagementException.Reason.NOT_FOUND, "There is no page at " + base + "/admin" + path
        + ".");
  }

  /** {@code /security}, {@code /security/anonymous}, {@code /security/users/new}, {@code /security/users/{id}/password}. */
  private void security(HttpServletRequest req, HttpServletResponse resp, String path, boolean post, Visitor visitor)
      throws IOException {
    if (path.isEmpty()) {
      getOnly(post);
      page(resp, 200, pages.security(req, visitor));
      return;
    }
    if (path.equals("/anonymous") && post) {
      redirect(req, resp, pages.anonymous(req, visitor));
      return;
    }
    try {
      if (path.equals("/users/new")) {
        if (post) {
          redirect(req, resp, pages.createUser(req, visitor));
        } else {
          page(resp, 200, pages.userForm(visitor, null, null));
        }
        return;
      }
      String users = "/users/";
      if (path.startsWith(users) && path.endsWith("/password")) {
        String user = java.net.URLDecoder.decode(path.substring(users.length(), path.length() - "/password".length()),
            StandardCharsets.UTF_8);
        if (post) {
          try {
            redirect(req, resp, pages.setPassword(req, visitor, user));
          } catch (UiPages.FormRefused e) {
            page(resp, e.refusal.reason().status(), pages.passwordForm(visitor, user, e.refusal));
          }
        } else {
          page(resp, 200, pages.passwordForm(visitor, user, null));
        }
        return;
      }
    } catch (UiPages.FormRefused e) {
      page(resp, e.refusal.reason().status(), pages.userForm(visitor, e.values, e.refusal));
      return;
    }
    throw new ManagementException(ManagementException.Reason.NOT_FOUND, "There is no page at " + base + "/security"
        + path + ".");
  }

  /**
   * {@code /robots} or {@code /tokens} ({@code robots} false) and below: the list, {@code /new},
   * {@code /{name or id}/revoke}.
   */
  private void credentials(HttpServletRequest req, HttpServletResponse resp, String path, boolean post,
      Visitor visitor, boolean robots) throws IOException {
    if (path.isEmpty()) {
      getOnly(post);
      page(resp, 200, pages.credentials(req, visitor, robots, null));
      return;
    }
    if (path.equals("/new")) {
      if (!post) {
        page(resp, 200, pages.credentialForm(visitor, robots, null, null));
        return;
      }
      ApiCredentials.WithSecret made;
      try {
        made = pages.createCredential(req, visitor, robots);
      } catch (UiPages.FormRefused e) {
        page(resp, e.refusal.reason().status(), pages.credentialForm(visitor, robots, e.values, e.refusal));
        return;
      }
      // the secret is in this answer only (no-store): never in a URL, never kept for a later page
      page(resp, 201, pages.credentials(req, visitor, robots, made));
      return;
    }
    String revoke = "/revoke";
    if (path.endsWith(revoke) && path.length() > revoke.length() + 1
        && path.indexOf('/', 1) == path.length() - revoke.length()) {
      String key = path.substring(1, path.length() - revoke.length());
      if (post) {
        redirect(req, resp, pages.revoke(visitor, robots, key));
      } else {
        page(resp, 200, pages.confirmRevoke(visitor, robots, key));
      }
      return;
    }
    throw new ManagementException(ManagementException.Reason.NOT_FOUND, "There is no page at " + base
        + (robots ? "/robots" : "/tokens") + path + ".");
  }

  private void repositoryForm(HttpServletRequest req, HttpServletResponse resp, boolean post, Visitor visitor,
      String type, String name) throws IOException {
    if (!post) {
      page(resp, 200, pages.repositoryForm(visitor, type, name, null, null));
      return;
    }
    try {
      redirect(req, resp, pages.saveRepository(req, visitor, type, name));
    } catch (UiPages.FormRefused e) {
      page(resp, e.refusal.reason().status(), pages.repositoryForm(visitor, type, name, e.values, e.refusal));
    }
  }

  private static void getOnly(boolean post) {
    if (post) {
      throw new ManagementException(ManagementException.Reason.METHOD_NOT_ALLOWED, "this page takes no form");
    }
  }

  // ---------------------------------------------------------------- login

  private void login(HttpServletRequest req, HttpServletResponse resp, Visitor visitor) throws IOException {
    String next = safeNext(req.getParameter("next"));
    if (security == null) {
      redirect(req, resp, next.substring(base.length()));
      return;
    }
    String user = Optional.ofNullable(req.getParameter("username")).orElse("").strip();
    String password = Optional.ofNullable(req.getParameter("password")).orElse("");
    boolean ok;
    try {
      ok = security.formLogin(req.getRemoteAddr(), user, password.toCharArray());
    } catch (RegistryException e) {
      if (e.code() != ErrorCode.TOOMANYREQUESTS) {
        throw e;
      }
      if (e.detail() instanceof Map<?, ?> m && m.get("retryAfter") != null) {
        resp.setHeader("Retry-After", String.valueOf(m.get("retryAfter")));
      }
      page(resp, 429, pages.login(visitor, user, "Too many failed logins: " + e.getMessage() + ".", next));
      return;
    }
    if (!ok) {
      page(resp, 401, pages.login(visitor, user, "Wrong user name or password.", next));
      return;
    }
    if (visitor.session() != null) {
      sessions.remove(visitor.session().id); // a login is a new session, never a reused id
    }
    UiSessions.Session s = sessions.create(user, security.loginStamp(user).orElse(null));
    cookie(req, resp, SESSION_COOKIE, s.id, -1, "Lax");
    resp.setStatus(HttpServletResponse.SC_SEE_OTHER);
    resp.setHeader("Location", req.getContextPath() + next);
  }

  /**
   * {@code GET /login/sso}: starts a sign-in with the OpenID Connect provider. The login's state
   * also goes into a short cookie, so the callback is accepted only in the browser that began it
   * (else an attacker could sign a victim in to the attacker's account with a callback URL).
   */
  private void ssoBegin(HttpServletRequest req, HttpServletResponse resp, Visitor visitor) throws IOException {
    if (sso == null) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND,
          "single sign-on is not configured here (security.oidc)");
    }
    String next = safeNext(req.getParameter("next"));
    OidcLogin.Started started;
    try {
      URI callback = URI.create(RequestOrigin.of(req) + req.getContextPath() + base + "/login/sso/callback");
      started = sso.flow().begin(sso.redirectUri(callback), next);
    } catch (OidcException e) {
      LOG.warn("single sign-on: {}", e.getMessage(), e.getCause());
      page(resp, 503, pages.login(visitor, null, "Single sign-on is not available now: " + e.getMessage() + ".", next));
      return;
    }
    cookie(req, resp, SSO_COOKIE, started.state(), sso.loginSeconds(), "Lax");
    resp.setStatus(HttpServletResponse.SC_FOUND);
    resp.setHeader("Location", started.authorizationUri().toString());
  }

  /** {@code GET /login/sso/callback}: the provider sends the browser back; a session for who it vouched for. */
  private void ssoCallback(HttpServletRequest req, HttpServletResponse resp, Visitor visitor) throws IOException {
    if (sso == null) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND,
          "single sign-on is not configured here (security.oidc)");
    }
    String state = req.getParameter("state");
    String began = cookieValue(req, SSO_COOKIE);
    cookie(req, resp, SSO_COOKIE, "", 0, "Lax");
    String next = base + "/";
    OidcIdentity who;
    try {
      if (state == null || !state.equals(began)) {
        throw new OidcException("this sign-in was not started in this browser; start again");
      }
      OidcLogin.Completed done = sso.flow().complete(state, req.getParameter("code"), req.getParameter("error"));
      next = done.next();
      who = done.identity();
    } catch (OidcException e) {
      LOG.info("single sign-on refused from {}: {}", req.getRemoteAddr(), e.getMessage());
      page(resp, 401, pages.login(visitor, null, "Single sign-on failed: " + e.getMessage() + ".", next));
      return;
    }
    if (!security.singleSignOn(req.getRemoteAddr(), new Identity(who.user(), Realm.OIDC, who.roles()),
        UiSessions.MAX_AGE)) {
      page(resp, 403, pages.login(visitor, who.user(), "The provider signed you in as \"" + who.user()
          + "\", the name of a user of this registry: log in with that user's password instead.", next));
      return;
    }
    if (visitor.session() != null) {
      sessions.remove(visitor.session().id); // a login is a new session, never a reused id
    }
    UiSessions.Session s = sessions.create(who.user(), security.loginStamp(who.user()).orElse(null));
    cookie(req, resp, SESSION_COOKIE, s.id, -1, "Lax");
    resp.setStatus(HttpServletResponse.SC_SEE_OTHER);
    resp.setHeader("Location", req.getContextPath() + next);
  }

  /** {@code next} if it is a page of the UI, else the UI's home: never a redirect to elsewhere. */
  private String safeNext(String next) {
    if (next == null || !next.startsWith(base + "/") || next.startsWith("//") || next.contains("\\")
        || next.contains("/static/")) {
      return base + "/";
    }
    return next;
  }

  // ---------------------------------------------------------------- who, CSRF

  private Visitor visitor(HttpServletRequest req, HttpServletResponse resp) {
    if (security != null) {
      Optional<UiSessions.Session> s = live(req);
      if (s.isPresent()) {
        return new Visitor(Caller.user(s.get().user), s.get(), s.get().csrf);
      }
    }
    String csrf = cookieValue(req, CSRF_COOKIE);
    if (csrf == null || csrf.length() < 32) {
      csrf = UiSessions.token();
      cookie(req, resp, CSRF_COOKIE, csrf, -1, "Strict");
    }
    return new Visitor(Caller.ANONYMOUS, null, csrf);
  }

  /**
   * The session {@code req}'s cookie names, if it is live and its user's login still stands: a
   * user disabled or removed, or whose password changed since, is logged out.
   */
  private Optional<UiSessions.Session> live(HttpServletRequest req) {
    Optional<UiSessions.Session> s = sessions.find(cookieValue(req, SESSION_COOKIE));
    if (s.isPresent()) {
      Optional<String> now = security.loginStamp(s.get().user);
      if (now.isEmpty() || !now.get().equals(s.get().login)) {
        sessions.remove(s.get().id);
        return Optional.empty();
      }
    }
    return s;
  }

  /**
   * The user of the UI session a call to the management APIs carries: the session cookie, and
   * the session's CSRF token in {@value #CSRF_HEADER} (a header no other site's page can send).
   * Without that header the cookie is not looked at (the call is anonymous or has Basic
   * credentials). How people who signed in through single sign-on, with no password, use the API.
   */
  String apiUser(HttpServletRequest req) {
    String token = req.getHeader(CSRF_HEADER);
    if (token == null) {
      return null;
    }
    Optional<UiSessions.Session> s = live(req);
    if (s.isEmpty()) {
      throw new ManagementException(ManagementException.Reason.UNAUTHENTICATED,
          "no live UI session: log in to the web UI again (the " + CSRF_HEADER + " header needs the session cookie)");
    }
    if (!MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), s.get().csrf.getBytes(StandardCharsets.UTF_8))) {
      throw new ManagementException(ManagementException.Reason.FORBIDDEN,
          "the " + CSRF_HEADER + " header is not the CSRF token of this session");
    }
    return s.get().user;
  }

  /**
   * A form must come from this origin: the browser's {@code Origin} (or {@code Sec-Fetch-Site})
   * when it sends one, and always the token of this visitor's forms.
   */
  private void checkForm(HttpServletRequest req, Visitor visitor) {
    String origin = req.getHeader("Origin");
    if (origin != null && !origin.equals("null") && !origin.equalsIgnoreCase(ownOrigin(req))) {
      throw new ManagementException(ManagementException.Reason.FORBIDDEN,
          "This form was sent from another site (" + origin + ") and is refused.");
    }
    String site = req.getHeader("Sec-Fetch-Site");
    if (site != null && !site.equals("same-origin") && !site.equals("none")) {
      throw new ManagementException(ManagementException.Reason.FORBIDDEN,
          "This form was sent from another site (" + site + ") and is refused.");
    }
    String token = req.getParameter(CSRF_FIELD);
    if (token == null || !MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
        visitor.csrf().getBytes(StandardCharsets.UTF_8))) {
      throw new ManagementException(ManagementException.Reason.FORBIDDEN,
          "This form has expired or did not come from this page; reload the page and try again.");
    }
  }

  private static String ownOrigin(HttpServletRequest req) {
    return io.wharf.server.http.RequestOrigin.of(req);
  }

  private static String cookieValue(HttpServletRequest req, String name) {
    Cookie[] cookies = req.getCookies();
    if (cookies == null) {
      return null;
    }
    for (Cookie c : cookies) {
      if (c.getName().equals(name)) {
        return c.getValue();
      }
    }
    return null;
  }

  /** An HttpOnly cookie for the UI's path; {@code Secure} when the request came over TLS. */
  private void cookie(HttpServletRequest req, HttpServletResponse resp, String name, String value, int maxAge,
      String sameSite) {
    Cookie c = new Cookie(name, value);
    c.setPath(req.getContextPath() + base + "/");
    c.setHttpOnly(true);
    c.setSecure(req.isSecure());
    c.setMaxAge(maxAge);
    c.setAttribute("SameSite", sameSite);
    resp.addCookie(c);
  }

  // ---------------------------------------------------------------- answers

  private void redirect(HttpServletRequest req, HttpServletResponse resp, String below) {
    resp.setStatus(HttpServletResponse.SC_SEE_OTHER);
    resp.setHeader("Location", req.getContextPath() + base + below);
  }

  private void error(HttpServletRequest req, HttpServletResponse resp, Visitor visitor, int status, String message)
      throws IOException {
    if (resp.isCommitted()) {
      return;
    }
    resp.resetBuffer();
    page(resp, status, pages.error(req, visitor, status, message));
  }

  /** Writes a page rendered by a template (an escaping HTML output: JTE's OWASP encoder). */
  static void page(HttpServletResponse resp, int status, Consumer<HtmlTemplateOutput> template) throws IOException {
    Utf8ByteOutput bytes = new Utf8ByteOutput();
    template.accept(new OwaspHtmlTemplateOutput(bytes));
    resp.setStatus(status);
    resp.setContentType("text/html; charset=utf-8");
    resp.setContentLength(bytes.getContentLength());
    bytes.writeTo(resp.getOutputStream());
  }

  private static void serveStatic(HttpServletRequest req, HttpServletResponse resp, String name) throws IOException {
    String[] file = STATIC.get(name);
    InputStream in = file == null ? null : UiServlet.class.getClassLoader().getResourceAsStream(file[0]);
    if (in == null) {
      resp.setStatus(404);
      resp.setContentType("text/plain; charset=utf-8");
      resp.getOutputStream().write(("no static file " + name + "\n").getBytes(StandardCharsets.UTF_8));
      return;
    }
    try (in) {
      byte[] body = in.readAllBytes();
      resp.setStatus(200);
      resp.setContentType(file[1]);
      resp.setHeader("Cache-Control", "public, max-age=3600");
      resp.setContentLength(body.length);
      if (!req.getMethod().equals("HEAD")) {
        resp.getOutputStream().write(body);
      }
    }
  }
}
