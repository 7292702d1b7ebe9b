package io.wharf.server.ui;

import gg.jte.html.HtmlTemplateOutput;
import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Repository;
import io.wharf.proxy.ProxyRepository;
import io.wharf.proxy.UpstreamStatus;
import io.wharf.server.admin.AuditTrail;
import io.wharf.server.admin.BlobStoreService;
import io.wharf.server.admin.Caller;
import io.wharf.server.admin.CleanupPreview;
import io.wharf.server.admin.CredentialService;
import io.wharf.server.admin.HealthService;
import io.wharf.server.admin.ImageService;
import io.wharf.server.admin.ManagementException;
import io.wharf.server.admin.Permissions;
import io.wharf.server.admin.RepositoryService;
import io.wharf.server.admin.RepositorySummary;
import io.wharf.server.admin.SearchQuery;
import io.wharf.server.admin.SearchService;
import io.wharf.server.admin.SecurityService;
import io.wharf.server.admin.TaskService;
import io.wharf.server.auth.Action;
import io.wharf.server.auth.ApiCredentials;
import io.wharf.server.auth.CredentialScope;
import io.wharf.server.config.WharfConfig;
import io.wharf.server.events.AuditLog;
import io.wharf.server.events.Event;
import io.wharf.server.ui.View.Chrome;
import io.wharf.server.ui.View.Command;
import io.wharf.server.ui.View.Crumb;
import io.wharf.server.ui.templates.JteblobstoresGenerated;
import io.wharf.server.ui.templates.JtecredentialsGenerated;
import io.wharf.server.ui.templates.JterevokeGenerated;
import io.wharf.server.ui.templates.JtedeleteGenerated;
import io.wharf.server.ui.templates.JtedeleterepositoryGenerated;
import io.wharf.server.ui.templates.JteerrorGenerated;
import io.wharf.server.ui.templates.JteimageGenerated;
import io.wharf.server.ui.templates.JteimagesGenerated;
import io.wharf.server.ui.templates.JteloginGenerated;
import io.wharf.server.ui.templates.JtepreviewGenerated;
import io.wharf.server.ui.templates.JterepositoriesGenerated;
import io.wharf.server.ui.templates.JtesecurityGenerated;
import io.wharf.server.ui.templates.JteformGenerated;
import io.wharf.server.ui.templates.JtesearchGenerated;
import io.wharf.server.ui.templates.JtetagsGenerated;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Builds each page's {@link View} from the management services and the repositories, and hands
 * it to its template. The templates are called directly (their generated classes), so javac
 * checks every page's model against its template's parameters; there is no reflection and no
 * template lookup by name at run time.
 */
final class UiPages {
  static final int PAGE_SIZE = 50;
  static final int MAX_PAGE_SIZE = 500;
  /** Tags shown next to an image in a repository's image list. */
  static final int TAG_PREVIEW = 5;
  /** Tags named in a row's "same manifest as"; the others are counted. */
  static final int SAME_SHOWN = 4;
  /** Events in a page's "recent activity". */
  static final int ACTIVITY = 15;

  private final String base;
  private final WharfConfig config;
  private final Map<String, WharfConfig.Repository> declared = new LinkedHashMap<>();
  private final UiServices services;
  private final RepositoryService repositories;
  private final HealthService health;
  private final Permissions permissions;
  private final Function<String, Integer> boundPort;
  private final URI publicUrl;
  private final Clock clock;
  /** The single sign-on button's text; null: no single sign-on. */
  private final String ssoLabel;

  UiPages(String base, WharfConfig config, UiServices services, Function<String, Integer> boundPort, URI publicUrl,
      Clock clock, String ssoLabel) {
    this.base = base;
    this.config = config.withDefaults();
    this.config.repositories().forEach(r -> declared.put(r.name(), r));
    this.services = Objects.requireNonNull(services);
    this.repositories = services.repositories();
    this.health = services.health();
    this.permissions = services.permissions();
    this.boundPort = boundPort;
    this.publicUrl = publicUrl;
    this.clock = clock;
    this.ssoLabel = ssoLabel;
  }

  private Chrome chrome(UiServlet.Visitor v, String title, String section, String flash) {
    return new Chrome(title + " · Wharf", base, v.user(), permissions.secured(), v.csrf(), flash, section,
        mayCreate(v.caller()));
  }

  // ---------------------------------------------------------------- repositories

  Consumer<HtmlTemplateOutput> repositories(HttpServletRequest req, UiServlet.Visitor v) {
    List<View.RepositoryRow> rows = new ArrayList<>();
    for (RepositorySummary s : repositories.list(v.caller(), origin(req))) {
      rows.add(row(req, v.caller(), repositories.readable(v.caller(), s.name())));
    }
    String note = null;
    if (permissions.secured() && v.caller().isAnonymous()) {
      note = rows.isEmpty() ? "No repository allows anonymous pulls. Log in to see yours."
          : "You see the repositories that allow anonymous pulls. Log in to see yours.";
    }
    String deleted = req.getParameter("deleted");
    String flash = req.getParameter("loggedOut") != null ? "You are logged out."
        : deleted != null && deleted.matches("[A-Za-z0-9._-]{1,200}") ? "Repository " + deleted + " deleted." : null;
    HealthService.Readiness ready = health.readiness();
    String warning = ready.ready() ? null
        : "The server is not ready: " + String.join(", ", ready.failing().keySet()) + " failing.";
    View.RepositoriesPage page = new View.RepositoriesPage(chrome(v, "Repositories", "repositories", flash), rows,
        note, warning, mayCreate(v.caller()));
    return out -> JterepositoriesGenerated.render(out, null, page);
  }

  private View.RepositoryRow row(HttpServletRequest req, Caller caller, Repository r) {
    WharfConfig.Repository c = declared.get(r.name());
    boolean serverTls = config.server().tls() != null || req.isSecure()
        || publicUrl != null && "https".equals(publicUrl.getScheme());
    boolean ownTls = c != null && c.http() != null && c.http().tls() != null || config.server().tls() != null;
    String defaultName = config.server().defaultRepository() != null ? config.server().defaultRepository()
        : repositories.registry().defaultRepository().name();
    List<Reach> reach = Reach.of(r.name(), mainHost(req), serverTls, boundPort.apply(r.name()), ownTls,
        c == null ? List.of() : c.hosts(), r.name().equals(defaultName));
    String detail;
    String healthText = null;
    String healthTitle = null;
    boolean healthy = true;
    if (r instanceof HostedRepository h) {
      detail = "write policy " + h.writePolicy().name().toLowerCase(Locale.ROOT).replace('_', ' ');
    } else if (r instanceof ProxyRepository p) {
      detail = "caches " + p.remoteUrl();
      UpstreamStatus s = p.status();
      boolean admin = permissions.may(caller, r, Action.ADMIN);
      if (s.blocked()) {
        healthy = false;
        Instant until = s.blockedUntil();
        healthText = until == null ? "upstream blocked"
            : "upstream blocked until " + Format.exact(until) + " (" + Format.relative(until, clock.instant()) + ")";
      } else if (s.consecutiveFailures() > 0) {
        healthy = false;
        healthText = "upstream reachable, " + s.consecutiveFailures() + " recent failure(s)";
      } else {
        healthText = "upstream reachable";
      }
      // the upstream's own error can name hosts and paths: for administrators only
      healthTitle = admin && s.lastError() != null ? s.lastError() : null;
    } else if (r instanceof GroupRepository g) {
      detail = "group of " + String.join(", ", g.members().stream().map(Repository::name).toList())
          + g.writableMember().map(w -> "; pushes go to " + w.name()).orElse("");
    } else {
      detail = "";
    }
    Reach first = reach.get(0);
    boolean anonymous = permissions.secured() && permissions.may(Caller.ANONYMOUS, r, Action.READ);
    return new View.RepositoryRow(r.name(), base + "/repositories/" + r.name(),
        r.type().name().toLowerCase(Locale.ROOT), detail, reach, first.dockerLogin(),
        first.dockerPull("IMAGE", "TAG"), healthText, healthTitle, healthy, anonymous);
  }

  // ---------------------------------------------------------------- images

  Consumer<HtmlTemplateOutput> images(HttpServletRequest req, UiServlet.Visitor v, String name) {
    Repository r = repositories.readable(v.caller(), name);
    String filter = param(req, "q");
    String token = req.getParameter("page");
    ImageService.ImagePage page = services.images().images(v.caller(), name, filter.isEmpty() ? null : filter,
        pageSize(req), token);
    Instant now = clock.instant();
    List<View.ImageRow> rows = new ArrayList<>();
    for (ImageService.ImageItem i : page.items()) {
      rows.add(new View.ImageRow(i.name(), imageHref(name, i.name()), i.tags(), when(i.lastPushed(), now)));
    }
    String action = base + "/repositories/" + name;
    String q = filter.isEmpty() ? "" : "q=" + enc(filter);
    String next = page.continuationToken() == null ? null
        : action + "?" + (q.isEmpty() ? "" : q + "&") + "page=" + enc(page.continuationToken());
    String first = token == null ? null : action + (q.isEmpty() ? "" : "?" + q);
    String flash = req.getParameter("created") != null ? "Repository " + name + " created."
        : req.getParameter("saved") != null ? "Changes to " + name + " saved." : null;
    boolean change = mayChange(v.caller(), r);
    View.ImagesPage p = new View.ImagesPage(chrome(v, name, "repositories", flash),
        List.of(new Crumb("Repositories", base + "/"), new Crumb(name, null)),
        row(req, v.caller(), r), action, filter, rows, next, first,
        change ? base + "/admin/repositories/" + name + "/edit" : null,
        change ? base + "/admin/repositories/" + name + "/delete" : null,
        activity(v.caller(), name, null, e -> true));
    return out -> JteimagesGenerated.render(out, null, p);
  }

  // ---------------------------------------------------------------- tags

  Consumer<HtmlTemplateOutput> tags(HttpServletRequest req, UiServlet.Visitor v, String name, String imageName) {
    Repository r = repositories.readable(v.caller(), name);
    String filter = param(req, "q");
    String show = choice(req, "show", "tagged", "untagged", "all");
    String sort = choice(req, "sort", "name", "pushed", "size");
    String order = choice(req, "order", sort.equals("name") ? "asc" : "desc", "asc", "desc");
    String token = req.getParameter("page");
    ImageService.TagPage page = services.images().tags(v.caller(), name, imageName,
        ImageService.TagFilter.valueOf(show.toUpperCase(Locale.ROOT)), filter.isEmpty() ? null : filter,
        ImageService.TagSort.valueOf(sort.toUpperCase(Locale.ROOT)), order.equals("desc"), pageSize(req), token);
    // the image itself sorts first among the names it prefixes
    int total = services.images().images(v.caller(), name, imageName, 1, null).items().stream()
        .filter(i -> i.name().equals(imageName)).mapToInt(ImageService.ImageItem::tags).findFirst().orElse(0);
    boolean canDelete = mayDelete(v.caller(), r);
    Map<String, List<String>> byDigest = new LinkedHashMap<>();
    for (ImageService.TagItem t : page.items()) {
      if (t.tag() != null) {
        byDigest.computeIfAbsent(t.digest(), d -> new ArrayList<>()).add(t.tag());
      }
    }
    Instant now = clock.instant();
    List<View.TagRow> rows = new ArrayList<>();
    for (ImageService.TagItem t : page.items()) {
      List<String> same = new ArrayList<>(byDigest.getOrDefault(t.digest(), List.of()));
      same.remove(t.tag());
      String href = t.tag() == null ? imageHref(name, imageName) + "@" + t.digest() : tagHref(name, imageName, t.tag());
      rows.add(new View.TagRow(t.tag(), href, t.digest(), Format.shortDigest(t.digest()), kind(t.mediaType(),
          t.platforms()), Format.size(t.size()), when(t.pushed(), now),
          same.subList(0, Math.min(SAME_SHOWN, same.size())), Math.max(0, same.size() - SAME_SHOWN),
          canDelete && t.tag() != null ? tagHref(name, imageName, t.tag()) + "/delete" : null));
    }
    String action = imageHref(name, imageName);
    // the view's parameters but the page: what the sort links, the pager and the filter form keep
    StringBuilder keep = new StringBuilder();
    if (!filter.isEmpty()) {
      keep.append("&q=").append(enc(filter));
    }
    if (!show.equals("tagged")) {
      keep.append("&show=").append(show);
    }
    String view = keep + (sort.equals("name") ? "" : "&sort=" + sort) + "&order=" + order;
    String next = page.continuationToken() == null ? null
        : action + "?" + view.substring(1) + "&page=" + enc(page.continuationToken());
    String first = token == null ? null : action + "?" + view.substring(1);
    List<View.SortLink> sorts = new ArrayList<>();
    for (String[] col : new String[][] {{"name", "Tag"}, {"pushed", "Pushed"}, {"size", "Size"}}) {
      boolean current = col[0].equals(sort);
      String nextOrder = current ? (order.equals("asc") ? "desc" : "asc") : col[0].equals("name") ? "asc" : "desc";
      sorts.add(new View.SortLink(col[1], action + "?" + (keep.length() == 0 ? "" : keep.substring(1) + "&")
          + "sort=" + col[0] + "&order=" + nextOrder, current, order.equals("desc")));
    }
    String deleted = req.getParameter("deleted");
    String flash = deleted != null && Tag.isValid(deleted) ? "Tag " + deleted + " deleted." : null;
    View.TagsPage p = new View.TagsPage(chrome(v, imageName + " in " + name, "repositories", flash),
        List.of(new Crumb("Repositories", base + "/"), new Crumb(name, base + "/repositories/" + name),
            new Crumb(imageName, null)),
        name, imageName, action, filter, show, sort, order, sorts, total, rows, next, first, canDelete);
    return out -> JtetagsGenerated.render(out, null, p);
  }

  /** {@code linux/amd64} for an image, {@code index, 2 platforms} for an index, else the media type. */
  private static String kind(String mediaType, List<String> platforms) {
    if (mediaType != null && MediaTypes.INDEXES.contains(mediaType)) {
      return "index, " + platforms.size() + (platforms.size() == 1 ? " platform" : " platforms");
    }
    if (!platforms.isEmpty()) {
      return String.join(", ", platforms);
    }
    return mediaType == null ? "unknown" : "artifact";
  }

  // ---------------------------------------------------------------- one image

  Consumer<HtmlTemplateOutput> image(HttpServletRequest req, UiServlet.Visitor v, String name, String imageName,
      String reference) {
    Repository r = repositories.readable(v.caller(), name);
    ImageService.ImageDetail d = services.images().detail(v.caller(), name, imageName, reference);
    boolean byTag = reference.indexOf(':') < 0;
    Instant now = clock.instant();
    List<View.PlatformRow> platforms = new ArrayList<>();
    for (ImageService.PlatformItem p : d.platforms()) {
      String label = p.os() == null && p.architecture() == null ? "unknown"
          : p.os() + "/" + p.architecture() + (p.variant() == null ? "" : "/" + p.variant());
      platforms.add(new View.PlatformRow(label, p.digest(), Format.shortDigest(p.digest()),
          imageHref(name, imageName) + "@" + p.digest(), p.totalSize() == null ? "not stored" : Format.size(p.totalSize())));
    }
    List<View.LayerRow> layers = new ArrayList<>();
    int i = 1;
    for (ImageService.LayerItem l : d.layers()) {
      layers.add(new View.LayerRow(i++, l.digest(), Format.shortDigest(l.digest()), l.mediaType(),
          Format.size(l.size()), l.urls() == null || l.urls().isEmpty() ? null
              : "foreign: clients fetch it from " + l.urls().get(0)));
    }
    View.Config config = null;
    if (d.config() != null) {
      ImageService.ConfigItem c = d.config();
      String platform = c.os() == null && c.architecture() == null ? null
          : c.os() + "/" + c.architecture() + (c.variant() == null ? "" : "/" + c.variant());
      List<View.HistoryRow> history = new ArrayList<>();
      for (ImageService.HistoryItem h : c.history()) {
        history.add(new View.HistoryRow(when(h.created(), now), h.createdBy(), h.comment(), h.emptyLayer()));
      }
      config = new View.Config(when(c.created(), now), c.author(), platform, c.labels(), history);
    }
    List<View.ReferrerRow> referrers = new ArrayList<>();
    for (ImageService.ReferrerItem ref : d.referrers()) {
      referrers.add(new View.ReferrerRow(ref.kind(), ref.artifactType() == null ? ref.mediaType() : ref.artifactType(),
          ref.digest(), Format.shortDigest(ref.digest()), imageHref(name, imageName) + "@" + ref.digest(),
          Format.size(ref.size())));
    }

    Reach reach = row(req, v.caller(), r).reach().get(0);
    String digest = d.digest();
    List<Command> commands = new ArrayList<>();
    String tag = byTag ? reference : d.tags().isEmpty() ? null : d.tags().get(0);
    if (tag != null) {
      commands.add(new Command("docker, by tag", reach.dockerPull(imageName, tag)));
    }
    commands.add(new Command("docker, by digest", reach.dockerPull(imageName, digest)));
    if (tag != null) {
      commands.add(new Command("podman, by tag", reach.podmanPull(imageName, tag)));
    }
    commands.add(new Command("podman, by digest", reach.podmanPull(imageName, digest)));
    if (tag != null) {
      commands.add(new Command("skopeo, by tag", reach.skopeoCopy(imageName, tag)));
    }
    commands.add(new Command("skopeo, by digest", reach.skopeoCopy(imageName, digest)));
    commands.add(new Command("log in first", reach.dockerLogin()));

    String deleteHref = byTag && mayDelete(v.caller(), r) ? tagHref(name, imageName, reference) + "/delete" : null;
    String title = imageName + (byTag ? ":" + reference : "@" + Format.shortDigest(digest));
    List<Crumb> crumbs = List.of(new Crumb("Repositories", base + "/"),
        new Crumb(name, base + "/repositories/" + name), new Crumb(imageName, imageHref(name, imageName)),
        new Crumb(byTag ? reference : Format.shortDigest(digest), null));
    View.ImagePage p = new View.ImagePage(chrome(v, title, "repositories", null), crumbs, name, imageName,
        reference, digest, d.mediaType(), d.artifactType(), Format.size(d.size()),
        MediaTypes.INDEXES.contains(d.mediaType()), platforms, layers, Format.size(d.totalSize()),
        Format.size(d.compressedSize()), d.config() == null ? null : d.config().digest(), config, d.annotations(),
        d.tags(), referrers, d.subject() == null ? null : imageHref(name, imageName) + "@" + d.subject(), commands,
        deleteHref, activity(v.caller(), name, imageName,
            e -> digest.equals(e.digest()) || e.tag() != null && d.tags().contains(e.tag())));
    return out -> JteimageGenerated.render(out, null, p);
  }

  // ---------------------------------------------------------------- recent activity

  /**
   * The last {@value #ACTIVITY} events of {@code repository} (of {@code image} when not null, that
   * {@code which} lets through) the visitor may see in the audit trail, as {@code GET
   * /wharf/api/v1/events?repository=&image=} shows them; null when no trail is kept.
   */
  private View.Activity activity(Caller caller, String repository, String image, Predicate<Event> which) {
    AuditTrail audit = services.audit();
    if (!audit.kept()) {
      return null;
    }
    if (!audit.mayAudit(caller, repository)) {
      return new View.Activity(List.of(), "Recent activity is shown to the administrators of " + repository + ".");
    }
    List<Event> events = audit.query(caller, new AuditLog.Query(repository, image, null, null, null, null), which,
        ACTIVITY, null).items();
    Instant now = clock.instant();
    List<View.ActivityRow> rows = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      // the tag's previous push on this list pointed elsewhere: this push moved it
      boolean moved = false;
      if (e.action() == Event.Action.PUSH && e.tag() != null) {
        for (Event older : events.subList(i + 1, events.size())) {
          if (older.action() == Event.Action.PUSH && e.tag().equals(older.tag()) && e.image().equals(older.image())) {
            moved = older.digest() != null && !older.digest().equals(e.digest());
            break;
          }
        }
      }
      boolean restore = e.action() == Event.Action.PUSH && e.request() != null && "POST".equals(e.request().method());
      String what = switch (e.action()) {
        case PUSH -> restore ? "tag restored" : moved ? "tag moved" : e.tag() == null ? "pushed by digest" : "pushed";
        case PULL -> "pulled";
        case DELETE -> e.url() != null && e.url().contains("/blobs/") ? "blob deleted"
            : e.tag() != null ? "tag deleted" : "deleted";
        case MOUNT -> "mounted" + (e.fromRepository() == null ? "" : " from " + e.fromRepository());
        default -> e.action().wire();
      };
      // a manifest's digest opens the image; a blob's is shown only
      boolean manifest = e.url() != null ? e.url().contains("/manifests/") : e.mediaType() != null;
      String imageHref = e.image() == null ? null : imageHref(repository, e.image());
      String digestHref = imageHref != null && manifest && e.digest() != null && e.action() != Event.Action.DELETE
          ? imageHref + "@" + e.digest() : null;
      rows.add(new View.ActivityRow(when(e.timestamp(), now), what, e.action().wire().replace('.', '-'), e.image(),
          imageHref, e.image() == null ? null : e.tag(),
          imageHref == null || e.tag() == null ? null : tagHref(repository, e.image(), e.tag()), e.digest(),
          e.digest() == null ? null : Format.shortDigest(e.digest()), digestHref,
          e.actor() == null ? null : e.actor().name(), e.actor() == null ? null : e.actor().addr()));
    }
    return new View.Activity(rows, rows.isEmpty() ? "No event of this in the audit trail." : null);
  }

  // ---------------------------------------------------------------- delete a tag

  Consumer<HtmlTemplateOutput> confirmDelete(HttpServletRequest req, UiServlet.Visitor v, String name,
      String imageName, String tag) {
    deletable(v.caller(), name);
    ImageService.ImageDetail d = services.images().detail(v.caller(), name, imageName, Tag.of(tag).value());
    String digest = d.digest();
    List<String> others = d.tags().stream().filter(t -> !t.equals(tag)).toList();
    List<String> consequences = new ArrayList<>();
    consequences.add("Only the tag goes: no manifest, layer or other tag is deleted now.");
    if (!others.isEmpty()) {
      consequences.add("The manifest " + Format.shortDigest(digest) + " keeps "
          + (others.size() == 1 ? "its other tag " : "its other tags ") + String.join(", ", others) + ".");
    } else {
      consequences.add("The manifest " + Format.shortDigest(digest) + " is left without a tag. It stays pullable"
          + " by digest until a cleanup policy that removes untagged images deletes it; garbage collection then"
          + " frees the layers no other image uses (" + Format.size(d.totalSize()) + " at most).");
    }
    String action = tagHref(name, imageName, tag) + "/delete";
    View.DeletePage p = new View.DeletePage(chrome(v, "Delete " + imageName + ":" + tag, "repositories", null),
        List.of(new Crumb("Repositories", base + "/"), new Crumb(name, base + "/repositories/" + name),
            new Crumb(imageName, imageHref(name, imageName)), new Crumb(tag, tagHref(name, imageName, tag)),
            new Crumb("delete", null)),
        name, imageName, tag, digest, others, consequences, action, tagHref(name, imageName, tag));
    return out -> JtedeleteGenerated.render(out, null, p);
  }

  /**
   * Deletes the tag, as {@code DELETE /v1/components/{id}} does (the component found by an exact
   * search); returns where to go next (below the UI's path).
   */
  String deleteTag(UiServlet.Visitor v, String name, String imageName, String tag) throws IOException {
    deletable(v.caller(), name);
    SearchQuery exact = new SearchQuery(name, new SearchQuery.Match(imageName, false),
        new SearchQuery.Match(Tag.of(tag).value(), false), null, null, false, null, false);
    List<SearchService.Component> found = services.search().search(v.caller(), exact, null, "").items();
    if (found.isEmpty()) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND,
          imageName + ":" + tag + " is not in repository " + name + ".");
    }
    services.search().deleteComponent(v.caller(), found.get(0).id());
    return "/repositories/" + name + "/images/" + imageName + "?deleted=" + enc(tag);
  }

  /** The repository, if the caller may delete from it: else 404 (may not read) or 401/403. */
  private Repository deletable(Caller caller, String name) {
    Repository r = repositories.readable(caller, name);
    if (!mayDelete(caller, r)) {
      throw caller.isAnonymous()
          ? new ManagementException(ManagementException.Reason.UNAUTHENTICATED,
              "Log in to delete tags in repository " + name + ".")
          : new ManagementException(ManagementException.Reason.FORBIDDEN,
              "User " + caller.user() + " may not delete from repository " + name + ".");
    }
    return r;
  }

  private boolean mayDelete(Caller caller, Repository r) {
    boolean deletes = r instanceof HostedRepository
        || r instanceof GroupRepository g && g.writableMember().isPresent(); // a proxy mirrors, it never deletes
    return deletes && permissions.may(caller, r, Action.DELETE);
  }

  // ---------------------------------------------------------------- search

  /**
   * Every tag of every repository the visitor may read whose image name or tag contains the
   * words (a digest finds the tags pointing at it), 50 a page, as many pages as there are hits.
   */
  Consumer<HtmlTemplateOutput> search(HttpServletRequest req, UiServlet.Visitor v) {
    String q = param(req, "q");
    String repository = param(req, "repository");
    List<String> readable = repositories.list(v.caller(), "").stream().map(RepositorySummary::name).toList();
    String token = req.getParameter("page");
    List<View.SearchRow> rows = new ArrayList<>();
    String next = null;
    if (!q.isEmpty()) {
      Digest digest = null;
      String keyword = null;
      if (q.startsWith("sha256:") || q.startsWith("sha512:")) {
        try {
          digest = Digest.parse(q);
        } catch (RuntimeException e) {
          throw ManagementException.invalid("q", q + " is not a digest (sha256: and 64 hex digits)");
        }
      } else {
        keyword = q.toLowerCase(Locale.ROOT);
      }
      SearchQuery query = new SearchQuery(repository.isEmpty() ? null : repository, null, null, digest, keyword, false,
          null, false);
      SearchService.NexusPage<SearchService.Component> page = services.search().search(v.caller(), query, token, "");
      Instant now = clock.instant();
      for (SearchService.Component c : page.items()) {
        SearchService.WharfFacts f = c.wharf();
        rows.add(new View.SearchRow(c.repository(), base + "/repositories/" + c.repository(), c.name(),
            imageHref(c.repository(), c.name()), c.version(), tagHref(c.repository(), c.name(), c.version()),
            f == null ? null : f.digest(), f == null ? null : Format.shortDigest(f.digest()),
            f == null ? null : Format.size(f.totalSize()), f == null ? "" : String.join(", ", f.platforms()),
            f == null ? null : when(f.pushed(), now)));
      }
      String view = "?q=" + enc(q) + (repository.isEmpty() ? "" : "&repository=" + enc(repository));
      next = page.continuationToken() == null ? null
          : base + "/search" + view + "&page=" + enc(page.continuationToken());
    }
    String first = token == null || q.isEmpty() ? null
        : base + "/search?q=" + enc(q) + (repository.isEmpty() ? "" : "&repository=" + enc(repository));
    String help = "Finds tags whose image name or tag contains the words, in every repository you may read; a digest"
        + " (sha256:…) finds the tags that point at it.";
    View.SearchPage p = new View.SearchPage(chrome(v, q.isEmpty() ? "Search" : "Search: " + q, "search", null),
        base + "/search", q, repository, readable, rows, next, first, help);
    return out -> JtesearchGenerated.render(out, null, p);
  }

  // ---------------------------------------------------------------- administration: repositories

  /** Whether {@code caller} creates repositories (Nexus's global administrator, {@code *:admin}). */
  boolean mayCreate(Caller caller) {
    return permissions.mayEverywhere(caller, Action.ADMIN);
  }

  private boolean mayChange(Caller caller, Repository r) {
    return !declared.containsKey(r.name()) && permissions.may(caller, r, Action.ADMIN);
  }

  /**
   * The form that creates a repository of {@code type} ({@code name} null) or edits {@code name};
   * with {@code values} and the API's refusal when a sent form is shown again.
   */
  Consumer<HtmlTemplateOutput> repositoryForm(UiServlet.Visitor v, String type, String name, Map<String, String> values,
      ManagementException refusal) {
    boolean create = name == null;
    if (create && !mayCreate(v.caller())) {
      throw v.caller().isAnonymous()
          ? new ManagementException(ManagementException.Reason.UNAUTHENTICATED, "Log in to create repositories.")
          : new ManagementException(ManagementException.Reason.FORBIDDEN,
              "User " + v.caller().user() + " may not create repositories (it takes the admin privilege on all).");
    }
    if (!create) {
      Repository r = repositories.readable(v.caller(), name);
      type = r.type().name().toLowerCase(Locale.ROOT);
      if (declared.containsKey(name)) {
        throw new ManagementException(ManagementException.Reason.CONFLICT, "Repository " + name
            + " is declared in the configuration file; change it there.");
      }
      if (values == null) {
        values = RepositoryForm.values(repositories.settings(v.caller(), name, ""));
      }
    }
    List<RepositoryForm.Spec> specs = specs(v.caller(), type);
    Map<String, String> shown = values == null ? Map.of("storage.blobStoreName", "default",
        "storage.writePolicy", "ALLOW") : values;
    List<String> errors = new ArrayList<>();
    Map<String, String> fieldErrors = refusal == null ? Map.of() : RepositoryForm.fieldErrors(refusal, specs, errors);
    List<View.Field> fields = new ArrayList<>();
    for (RepositoryForm.Spec f : specs) {
      if (!create && f.path().equals("name")) {
        continue; // a repository is never renamed: the name is in the address
      }
      fields.add(new View.Field(f.path(), f.label(), f.kind().name().toLowerCase(Locale.ROOT),
          f.kind() == RepositoryForm.Kind.PASSWORD ? "" : shown.getOrDefault(f.path(), ""), f.options(), f.hint(),
          fieldErrors.get(f.path())));
    }
    String heading = create ? "New " + type + " repository" : "Edit " + name;
    String action = create ? base + "/admin/repositories/new?type=" + type : base + "/admin/repositories/" + name + "/edit";
    String cancel = create ? base + "/" : base + "/repositories/" + name;
    List<Crumb> crumbs = create ? List.of(new Crumb("Repositories", base + "/"), new Crumb("new " + type, null))
        : List.of(new Crumb("Repositories", base + "/"), new Crumb(name, base + "/repositories/" + name),
            new Crumb("edit", null));
    View.FormPage p = new View.FormPage(chrome(v, heading, "repositories", null), crumbs, heading,
        type, create, action, fields, errors, create ? "Create repository" : "Save changes", cancel);
    return out -> JteformGenerated.render(out, null, p);
  }

  private List<RepositoryForm.Spec> specs(Caller caller, String type) {
    List<String> stores = services.blobStores().list(caller).stream().map(BlobStoreService.Summary::name).toList();
    List<String> names = repositories.list(caller, "").stream().map(RepositorySummary::name).toList();
    return RepositoryForm.specs(type, stores, names);
  }

  /** The type a form names: hosted, proxy or group. */
  static String repositoryType(String type) {
    for (String t : RepositoryForm.TYPES) {
      if (t.equals(type)) {
        return t;
      }
    }
    throw ManagementException.invalid("type", "a repository is hosted, proxy or group");
  }

  /**
   * Creates or changes a repository through {@link RepositoryService} (the API's validation);
   * returns where to go (below the UI's path), or throws the refusal with the values sent.
   */
  String saveRepository(HttpServletRequest req, UiServlet.Visitor v, String type, String name) {
    String kind = name == null ? type : repositories.readable(v.caller(), name).type().name().toLowerCase(Locale.ROOT);
    List<RepositoryForm.Spec> specs = specs(v.caller(), kind);
    Map<String, String> values = RepositoryForm.read(req, specs);
    if (name != null) {
      values.put("name", name);
    }
    try {
      if (name == null) {
        repositories.create(v.caller(), kind, RepositoryForm.body(specs, values));
        return "/repositories/" + values.get("name") + "?created";
      }
      repositories.update(v.caller(), kind, name, RepositoryForm.body(specs, values));
      return "/repositories/" + name + "?saved";
    } catch (ManagementException e) {
      if (e.reason() == ManagementException.Reason.BAD_REQUEST || e.reason() == ManagementException.Reason.CONFLICT) {
        throw new FormRefused(e, values);
      }
      throw e;
    }
  }

  /** A form the API refused: shown again with the values sent and the messages next to the fields. */
  static final class FormRefused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient ManagementException refusal;
    final transient Map<String, String> values;

    FormRefused(ManagementException refusal, Map<String, String> values) {
      super(refusal.getMessage(), null, false, false);
      this.refusal = refusal;
      this.values = values;
    }
  }

  Consumer<HtmlTemplateOutput> confirmDeleteRepository(UiServlet.Visitor v, String name) {
    Repository r = repositories.readable(v.caller(), name);
    if (!mayChange(v.caller(), r)) {
      throw declared.containsKey(name)
          ? new ManagementException(ManagementException.Reason.CONFLICT, "Repository " + name
              + " is declared in the configuration file; remove it there.")
          : new ManagementException(ManagementException.Reason.FORBIDDEN, "You may not delete repository " + name + ".");
    }
    String kind = r.type().name().toLowerCase(Locale.ROOT);
    List<String> consequences = new ArrayList<>();
    consequences.add("It stops serving at once" + (boundPort.apply(name) == null ? "."
        : ", and its own port " + boundPort.apply(name) + " closes."));
    if (!kind.equals("group")) {
      int images = services.images().images(v.caller(), name, null, 1000, null).items().size();
      consequences.add((kind.equals("proxy") ? "Its cached images" : "Its images") + " (" + images
          + (images == 1000 ? " or more" : "") + ") are deleted; garbage collection then frees the layers no other"
          + " repository uses.");
    } else {
      consequences.add("Its members keep their images.");
    }
    View.DeleteRepositoryPage p = new View.DeleteRepositoryPage(chrome(v, "Delete " + name, "repositories", null),
        List.of(new Crumb("Repositories", base + "/"), new Crumb(name, base + "/repositories/" + name),
            new Crumb("delete", null)),
        name, kind, consequences, base + "/admin/repositories/" + name + "/delete", base + "/repositories/" + name);
    return out -> JtedeleterepositoryGenerated.render(out, null, p);
  }

  String deleteRepository(UiServlet.Visitor v, String name) {
    repositories.delete(v.caller(), name);
    return "/?deleted=" + enc(name);
  }

  // ---------------------------------------------------------------- blob stores

  /** Every blob store: size, free space, quota, maintenance (administrators of every repository). */
  Consumer<HtmlTemplateOutput> blobStores(HttpServletRequest req, UiServlet.Visitor v) {
    List<BlobStoreService.Summary> stores = services.blobStores().list(v.caller());
    List<TaskService.Task> tasks = services.tasks().list(v.caller(), null).items();
    Instant now = clock.instant();
    List<View.BlobStoreRow> rows = new ArrayList<>();
    for (BlobStoreService.Summary s : stores) {
      BlobStoreService.QuotaStatus q = services.blobStores().quotaStatus(v.caller(), s.name());
      List<TaskService.Task> mine = tasks.stream().filter(t -> t.wharf().store().equals(s.name())).toList();
      TaskService.Task t = mine.isEmpty() ? null : mine.get(0); // the parts of one store share one run
      String reserve = s.softQuota() == null ? null : Format.size(s.softQuota().limit() * 1024 * 1024);
      rows.add(new View.BlobStoreRow(s.name(), s.type(), s.unavailable() ? "unavailable" : Format.size(s.totalSizeInBytes()),
          s.blobCount(), s.availableSpaceInBytes() == null ? null : Format.size(s.availableSpaceInBytes()), reserve,
          when(s.countedAt(), now), q.message(), !q.isViolation(),
          t == null ? null : t.wharf().schedule() == null ? "on demand only" : t.wharf().schedule(),
          t != null && "RUNNING".equals(t.currentState()), t == null ? null : when(t.lastRun(), now),
          t == null ? null : t.lastRunResult(), t == null ? null : t.wharf().lastReport(),
          t == null ? null : when(t.nextRun(), now),
          mine.stream().map(TaskService.Task::name).map(n -> n.replace(" of blob store " + s.name(), "")).toList(),
          t == null ? null : base + "/blobstores/" + s.name() + "/run",
          t == null ? null : base + "/blobstores/" + s.name() + "/preview"));
    }
    String flash = req.getParameter("started") != null ? "Maintenance started; its report shows here when it is done."
        : null;
    View.BlobStoresPage p = new View.BlobStoresPage(chrome(v, "Blob stores", "blobstores", flash), rows);
    return out -> JteblobstoresGenerated.render(out, null, p);
  }

  /** Starts the store's maintenance run (as {@code POST /v1/tasks/{id}/run}); where to go next. */
  String runMaintenance(UiServlet.Visitor v, String store) {
    TaskService.Task t = services.tasks().list(v.caller(), null).items().stream()
        .filter(x -> x.wharf().store().equals(store)).findFirst()
        .orElseThrow(() -> new ManagementException(ManagementException.Reason.NOT_FOUND,
            "Blob store " + store + " has no maintenance to run."));
    services.tasks().run(v.caller(), t.id());
    return "/blobstores?started=" + enc(store);
  }

  /**
   * What the store's maintenance would remove now: a dry run ({@link CleanupPreview}), each tag
   * with its image's size, exactly as {@code GET /wharf/api/v1/cleanup/preview} gives them.
   */
  Consumer<HtmlTemplateOutput> preview(UiServlet.Visitor v, String store) {
    CleanupPreview.StorePreview sp = services.cleanup().preview(v.caller(), store).stores().get(0);
    List<View.PreviewStep> steps = new ArrayList<>();
    for (CleanupPreview.Step step : sp.steps()) {
      List<View.PreviewItem> items = new ArrayList<>();
      for (CleanupPreview.Item item : step.items()) {
        String href = item.image() == null ? null : tagHref(step.repository(), item.image(), item.tag());
        items.add(new View.PreviewItem(item.item(), href,
            item.sizeInBytes() == null ? "" : Format.size(item.sizeInBytes())));
      }
      steps.add(new View.PreviewStep(step.name(), step.summary(), items,
          items.isEmpty() ? null : Format.size(step.sizeInBytes()) + (step.sizeComplete() ? "" : " or more")));
    }
    CleanupPreview.Garbage g = sp.garbage();
    String garbage = g == null ? null : g.blobs() + (g.blobs() == 1 ? " blob" : " blobs") + ", " + Format.size(g.bytes())
        + "; " + g.untaggedManifests() + " untagged manifests; " + g.staleUploads() + " stale uploads";
    View.PreviewPage p = new View.PreviewPage(chrome(v, "Cleanup preview of " + store, "blobstores", null),
        List.of(new Crumb("Blob stores", base + "/blobstores"), new Crumb(store + ": cleanup preview", null)), store,
        when(sp.at(), clock.instant()), steps, garbage, g == null ? List.of() : g.sample(), sp.error(), sp.skipped(),
        base + "/blobstores/" + store + "/run");
    return out -> JtepreviewGenerated.render(out, null, p);
  }

  // ---------------------------------------------------------------- security

  /** Users, roles and anonymous access (administrators; {@link SecurityService} decides). */
  Consumer<HtmlTemplateOutput> security(HttpServletRequest req, UiServlet.Visitor v) {
    SecurityService sec = services.security();
    List<View.UserRow> users = new ArrayList<>();
    for (SecurityService.User u : sec.users(v.caller(), null, null)) {
      String name = String.join(" ", java.util.stream.Stream.of(u.firstName(), u.lastName())
          .filter(x -> x != null && !x.isEmpty()).toList());
      users.add(new View.UserRow(u.userId(), name, u.source(), u.status(), u.roles(),
          u.readOnly() ? null : base + "/security/users/" + enc(u.userId()) + "/password"));
    }
    List<View.RoleRow> roles = new ArrayList<>();
    for (SecurityService.Role r : sec.roles(v.caller(), null)) {
      roles.add(new View.RoleRow(r.id(), r.source(), r.description(), r.privileges(), r.roles()));
    }
    String flash = req.getParameter("created") != null ? "User " + req.getParameter("created") + " created."
        : req.getParameter("password") != null ? "Password of " + req.getParameter("password") + " set."
        : req.getParameter("anonymous") != null ? "Anonymous access " + ("true".equals(req.getParameter("anonymous"))
            ? "on." : "off.") : null;
    View.SecurityPage p = new View.SecurityPage(chrome(v, "Security", "security", flash), users, roles,
        sec.anonymous(v.caller()).enabled(), base + "/security/anonymous", base + "/security/users/new");
    return out -> JtesecurityGenerated.render(out, null, p);
  }

  String anonymous(HttpServletRequest req, UiServlet.Visitor v) {
    boolean enabled = "true".equals(req.getParameter("enabled"));
    services.security().anonymous(v.caller(), enabled, null, null);
    return "/security?anonymous=" + enabled;
  }

  private static final String[][] USER_FIELDS = {{"userId", "User id", "text"}, {"firstName", "First name", "text"},
      {"lastName", "Last name", "text"}, {"emailAddress", "Email", "text"}, {"password", "Password", "password"}};

  /** The form that creates a user; {@code values} and {@code refusal} when it is shown again. */
  Consumer<HtmlTemplateOutput> userForm(UiServlet.Visitor v, Map<String, String> values, ManagementException refusal) {
    List<String> roleIds = services.security().roles(v.caller(), null).stream().map(SecurityService.Role::id).toList();
    Map<String, String> shown = values == null ? Map.of() : values;
    List<String> errors = new ArrayList<>();
    Map<String, String> fieldErrors = errorsByField(refusal, List.of("userId", "firstName", "lastName",
        "emailAddress", "password", "roles"), errors);
    List<View.Field> fields = new ArrayList<>();
    for (String[] f : USER_FIELDS) {
      fields.add(new View.Field(f[0], f[1], f[2], f[2].equals("password") ? "" : shown.getOrDefault(f[0], ""),
          List.of(), f[0].equals("password") ? "stored hashed (bcrypt); the user logs in with it at once" : null,
          fieldErrors.get(f[0])));
    }
    fields.add(new View.Field("roles", "Roles", "members", shown.getOrDefault("roles", ""), roleIds, null,
        fieldErrors.get("roles")));
    View.FormPage p = new View.FormPage(chrome(v, "New user", "security", null),
        List.of(new Crumb("Security", base + "/security"), new Crumb("new user", null)), "New user", null, true,
        base + "/security/users/new", fields, errors, "Create user", base + "/security");
    return out -> JteformGenerated.render(out, null, p);
  }

  String createUser(HttpServletRequest req, UiServlet.Visitor v) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String[] f : USER_FIELDS) {
      values.put(f[0], param(req, f[0]));
    }
    String[] roles = req.getParameterValues("roles");
    values.put("roles", roles == null ? "" : String.join(",", roles));
    char[] password = Optional.ofNullable(req.getParameter("password")).orElse("").toCharArray();
    try {
      services.security().create(v.caller(), new SecurityService.UserInput(blankToNull(values.get("userId")),
          blankToNull(values.get("firstName")), blankToNull(values.get("lastName")),
          blankToNull(values.get("emailAddress")), null, roles == null ? List.of() : List.of(roles)), password);
    } catch (ManagementException e) {
      if (e.reason() == ManagementException.Reason.BAD_REQUEST || e.reason() == ManagementException.Reason.CONFLICT) {
        throw new FormRefused(e, values);
      }
      throw e;
    }
    return "/security?created=" + enc(values.get("userId"));
  }

  /** The form that sets a user's password. */
  Consumer<HtmlTemplateOutput> passwordForm(UiServlet.Visitor v, String userId, ManagementException refusal) {
    List<String> errors = new ArrayList<>();
    Map<String, String> fieldErrors = errorsByField(refusal, List.of("password", "confirm"), errors);
    List<View.Field> fields = List.of(
        new View.Field("password", "New password", "password", "", List.of(), "the old one stops working at once",
            fieldErrors.get("password")),
        new View.Field("confirm", "The same again", "password", "", List.of(), null, fieldErrors.get("confirm")));
    View.FormPage p = new View.FormPage(chrome(v, "Password of " + userId, "security", null),
        List.of(new Crumb("Security", base + "/security"), new Crumb(userId + ": password", null)),
        "Set the password of " + userId, null, false, base + "/security/users/" + enc(userId) + "/password", fields,
        errors, "Set password", base + "/security");
    return out -> JteformGenerated.render(out, null, p);
  }

  String setPassword(HttpServletRequest req, UiServlet.Visitor v, String userId) {
    String password = Optional.ofNullable(req.getParameter("password")).orElse("");
    if (!password.equals(Optional.ofNullable(req.getParameter("confirm")).orElse(""))) {
      throw new FormRefused(ManagementException.invalid("confirm", "the two passwords differ"), Map.of());
    }
    try {
      services.security().changePassword(v.caller(), userId, password.toCharArray());
    } catch (ManagementException e) {
      if (e.reason() == ManagementException.Reason.BAD_REQUEST || e.reason() == ManagementException.Reason.CONFLICT) {
        throw new FormRefused(e, Map.of());
      }
      throw e;
    }
    return "/security?password=" + enc(userId);
  }

  private static Map<String, String> errorsByField(ManagementException e, List<String> fields, List<String> rest) {
    return errorsByField(e, fields, rest, id -> id);
  }

  /**
   * The API's violations by the form's fields: {@code fieldOf} names the form field a violation's
   * id belongs to; violations of no field of the form (and a refusal without violations) go to
   * {@code rest}.
   */
  private static Map<String, String> errorsByField(ManagementException e, List<String> fields, List<String> rest,
      UnaryOperator<String> fieldOf) {
    Map<String, String> out = new LinkedHashMap<>();
    if (e == null) {
      return out;
    }
    if (e.violations().isEmpty()) {
      rest.add(e.getMessage());
    }
    for (ManagementException.Violation x : e.violations()) {
      String field = fieldOf.apply(x.id());
      if (fields.contains(field)) {
        out.merge(field, x.message(), (a, b) -> a + "; " + b);
      } else {
        rest.add(x.id() + ": " + x.message());
      }
    }
    return out;
  }


  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  // ---------------------------------------------------------------- robot accounts and API tokens

  /**
   * The robot accounts (administrators) or the visitor's API tokens, as {@code GET
   * /wharf/api/v1/robots} and {@code GET /wharf/api/v1/users/me/tokens} list them.
   *
   * @param created the one just made, with its secret (shown this once), or null
   */
  Consumer<HtmlTemplateOutput> credentials(HttpServletRequest req, UiServlet.Visitor v, boolean robots,
      ApiCredentials.WithSecret created) {
    CredentialService service = services.credentials();
    List<ApiCredentials.View> list = robots ? service.robots(v.caller()) : service.tokens(v.caller());
    Instant now = clock.instant();
    String section = robots ? "/robots" : "/tokens";
    List<View.CredentialRow> rows = new ArrayList<>();
    for (ApiCredentials.View c : list) {
      List<String> scope = c.scope() == null ? List.of() : c.scope().rules().stream().map(r -> String.join(", ",
          r.repositories()) + (r.images().isEmpty() ? "" : " / " + String.join(", ", r.images())) + ": "
          + String.join(", ", r.actions())).toList();
      String key = robots ? c.name().substring(ApiCredentials.ROBOT_PREFIX.length()) : c.id();
      rows.add(new View.CredentialRow(c.name(), c.id(), c.description(), scope, when(c.created(), now), c.createdBy(),
          when(c.expires(), now), c.expires() != null && !c.expires().isAfter(now), c.disabled(),
          when(c.lastUsed(), now), c.lastUsedFrom(), base + section + "/" + enc(key) + "/revoke"));
    }
    View.Created shown = null;
    if (created != null) {
      // the name is quoted for the shell: a robot's has a $ in it
      shown = new View.Created(created.credential().name(), created.secret(), robots
          ? "docker login -u '" + created.credential().name() + "' " + mainHost(req) : null);
    }
    String revoked = req.getParameter("revoked");
    String flash = revoked != null && revoked.matches("[A-Za-z0-9$._ -]{1,80}") ? revoked + " revoked." : null;
    String title = robots ? "Robot accounts" : "API tokens";
    View.CredentialsPage p = new View.CredentialsPage(chrome(v, title, robots ? "robots" : "tokens", flash),
        List.of(new Crumb(title, null)), robots, rows, shown, base + section + "/new");
    return out -> JtecredentialsGenerated.render(out, null, p);
  }

  /** The form that makes a robot account or an API token; {@code values} and the API's refusal when shown again. */
  Consumer<HtmlTemplateOutput> credentialForm(UiServlet.Visitor v, boolean robot, Map<String, String> values,
      ManagementException refusal) {
    CredentialService service = services.credentials();
    if (robot) {
      service.requireAdmin(v.caller());
    } else {
      service.requireUser(v.caller());
    }
    Map<String, String> shown = values == null ? Map.of("actions", "pull") : values;
    List<String> errors = new ArrayList<>();
    Map<String, String> fieldErrors = credentialErrors(refusal, errors);
    ApiCredentials.Policy policy = service.policy();
    String expiry = "30d, 12h or 90m; empty: " + Format.duration(policy.defaultExpiry())
        + (policy.allowNeverExpire() ? "; never: it does not expire" : "");
    List<View.Field> fields = new ArrayList<>();
    fields.add(new View.Field("name", "Name", "text", shown.getOrDefault("name", ""), List.of(), robot
        ? "a-z, 0-9, . _ -; it logs in as robot$<name>" : "what the token is for (letters, digits, space, . _ -)",
        fieldErrors.get("name")));
    if (robot) {
      fields.add(new View.Field("description", "Description", "text", shown.getOrDefault("description", ""),
          List.of(), null, fieldErrors.get("description")));
    }
    fields.add(new View.Field("repositories", "Repositories", "text", shown.getOrDefault("repositories", ""),
        List.of(), robot ? "names or globs, separated by commas or spaces: docker-hosted, team-*"
            : "names or globs, separated by commas or spaces; empty (and no action): everything you may",
        fieldErrors.get("repositories")));
    fields.add(new View.Field("actions", "Actions", "members", shown.getOrDefault("actions", ""),
        List.of("pull", "push", "delete"), null, fieldErrors.get("actions")));
    fields.add(new View.Field("expiresIn", "Expires in", "text", shown.getOrDefault("expiresIn", ""), List.of(),
        expiry, fieldErrors.get("expiresIn")));
    String section = robot ? "/robots" : "/tokens";
    String title = robot ? "Robot accounts" : "API tokens";
    String heading = robot ? "New robot account" : "New API token";
    View.FormPage p = new View.FormPage(chrome(v, heading, robot ? "robots" : "tokens", null),
        List.of(new Crumb(title, base + section), new Crumb(robot ? "new robot" : "new token", null)), heading, null,
        true, base + section + "/new", fields, errors, robot ? "Create robot account" : "Create token",
        base + section);
    return out -> JteformGenerated.render(out, null, p);
  }

  /**
   * Makes the robot account or API token the form describes, through {@link CredentialService}
   * (the API's validation and messages); the refusal with the values sent, else the one made.
   */
  ApiCredentials.WithSecret createCredential(HttpServletRequest req, UiServlet.Visitor v, boolean robot) {
    if (robot) {
      services.credentials().requireAdmin(v.caller()); // who may, before what is wrong with the form
    } else {
      services.credentials().requireUser(v.caller());
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (String f : robot ? List.of("name", "description", "repositories", "expiresIn")
        : List.of("name", "repositories", "expiresIn")) {
      values.put(f, param(req, f));
    }
    String[] actions = req.getParameterValues("actions");
    List<String> chosen = actions == null ? List.of() : List.of(actions);
    values.put("actions", String.join(",", chosen));
    List<String> repos = java.util.Arrays.stream(values.get("repositories").split("[,\\s]+"))
        .filter(x -> !x.isEmpty()).toList();
    // one rule of the form's repositories and actions; a token without either has its user's rights
    CredentialScope scope = !robot && repos.isEmpty() && chosen.isEmpty() ? null
        : new CredentialScope(List.of(new CredentialScope.Rule(repos, List.of(), chosen)));
    List<ManagementException.Violation> violations = new ArrayList<>();
    java.time.Duration expiresIn = CredentialService.expiresIn(blankToNull(values.get("expiresIn")), violations);
    try {
      if (!violations.isEmpty()) {
        throw ManagementException.invalid(violations);
      }
      return robot
          ? services.credentials().createRobot(v.caller(), blankToNull(values.get("name")),
              blankToNull(values.get("description")), scope, expiresIn)
          : services.credentials().createToken(v.caller(), blankToNull(values.get("name")), scope, expiresIn);
    } catch (ManagementException e) {
      if (e.reason() == ManagementException.Reason.BAD_REQUEST || e.reason() == ManagementException.Reason.CONFLICT) {
        throw new FormRefused(e, values);
      }
      throw e;
    }
  }

  /** The API's violations by the form's fields: {@code scope[0].actions} is the actions field, and so on. */
  private static Map<String, String> credentialErrors(ManagementException e, List<String> rest) {
    return errorsByField(e, List.of("name", "description", "repositories", "actions", "expiresIn"), rest,
        id -> id.equals("scope") || id.endsWith(".repositories") ? "repositories"
            : id.endsWith(".actions") ? "actions" : id);
  }


  /** What revoking a robot account ({@code key}: its name without robot$) or an API token ({@code key}: its id) does. */
  Consumer<HtmlTemplateOutput> confirmRevoke(UiServlet.Visitor v, boolean robot, String key) {
    CredentialService service = services.credentials();
    ApiCredentials.View c = (robot ? service.robots(v.caller()) : service.tokens(v.caller())).stream()
        .filter(x -> robot ? x.name().equals(CredentialService.robotName(key)) : key.equals(x.id())).findFirst()
        .orElseThrow(() -> new ManagementException(ManagementException.Reason.NOT_FOUND, robot
            ? "There is no robot account " + CredentialService.robotName(key) + "."
            : "You have no API token " + key + "."));
    String section = robot ? "/robots" : "/tokens";
    String title = robot ? "Robot accounts" : "API tokens";
    List<String> consequences = List.of(
        (robot ? "The robot account " : "The API token ") + c.name() + " is deleted: its next request fails,"
            + " and so do the bearer tokens it obtained.",
        "Jobs and tools that use it need a new " + (robot ? "robot account" : "token") + "; this cannot be undone.");
    String heading = "Revoke " + c.name();
    View.RevokePage p = new View.RevokePage(chrome(v, heading, robot ? "robots" : "tokens", null),
        List.of(new Crumb(title, base + section), new Crumb(c.name() + ": revoke", null)), heading, consequences,
        base + section + "/" + enc(key) + "/revoke", base + section);
    return out -> JterevokeGenerated.render(out, null, p);
  }

  /** Revokes it; where to go next (below the UI's path). */
  String revoke(UiServlet.Visitor v, boolean robot, String key) {
    if (robot) {
      services.credentials().deleteRobot(v.caller(), key);
      return "/robots?revoked=" + enc(CredentialService.robotName(key));
    }
    services.credentials().deleteToken(v.caller(), key);
    return "/tokens?revoked=" + enc("token " + key);
  }

  // ---------------------------------------------------------------- login, errors

  Consumer<HtmlTemplateOutput> login(UiServlet.Visitor v, String username, String error, String next) {
    String ssoHref = ssoLabel == null ? null
        : base + "/login/sso?next=" + java.net.URLEncoder.encode(next, java.nio.charset.StandardCharsets.UTF_8);
    View.LoginPage p = new View.LoginPage(chrome(v, "Log in", "login", null), username == null ? "" : username,
        error, next, v.csrf(), ssoLabel, ssoHref);
    return out -> JteloginGenerated.render(out, null, p);
  }

  Consumer<HtmlTemplateOutput> error(HttpServletRequest req, UiServlet.Visitor v, int status, String message) {
    String heading = switch (status) {
      case 400 -> "That address is not valid";
      case 401 -> "Log in first";
      case 403 -> "Not allowed";
      case 404 -> "Not found";
      case 405 -> "Not here";
      case 429 -> "Too many attempts";
      default -> "Something went wrong";
    };
    View.ErrorPage p = new View.ErrorPage(chrome(v, heading, "", null), status, heading, message);
    return out -> JteerrorGenerated.render(out, null, p);
  }

  // ---------------------------------------------------------------- helpers

  private String imageHref(String repository, String image) {
    return base + "/repositories/" + repository + "/images/" + image;
  }

  private String tagHref(String repository, String image, String tag) {
    return imageHref(repository, image) + ":" + tag;
  }

  private static int pageSize(HttpServletRequest req) {
    String n = req.getParameter("n");
    if (n == null) {
      return PAGE_SIZE;
    }
    try {
      return Math.max(1, Math.min(MAX_PAGE_SIZE, Integer.parseInt(n)));
    } catch (NumberFormatException e) {
      throw ManagementException.invalid("n", "n must be a number of entries per page, 1 to " + MAX_PAGE_SIZE);
    }
  }

  /** {@code scheme://host:port} clients use for the main port: {@code server.publicUrl}, else this request's. */
  private String origin(HttpServletRequest req) {
    if (publicUrl != null) {
      String s = publicUrl.toString();
      return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
    return req.getScheme() + "://" + mainHost(req);
  }

  /** The main port's {@code host[:port]} as clients write it in image references. */
  private String mainHost(HttpServletRequest req) {
    if (publicUrl != null) {
      return publicUrl.getPort() < 0 ? publicUrl.getHost() : publicUrl.getHost() + ":" + publicUrl.getPort();
    }
    return io.wharf.server.http.RequestOrigin.hostPort(req.getServerName(), req.getServerPort(), req.getScheme());
  }

  /** A parameter's value, stripped; {@code ""} when absent. */
  private static String param(HttpServletRequest req, String name) {
    String v = req.getParameter(name);
    return v == null ? "" : v.strip();
  }

  /**
   * A parameter that must be {@code fallback} or one of {@code others}; {@code fallback} when
   * absent. The default is a choice too: forms and sort links send it explicitly.
   */
  private static String choice(HttpServletRequest req, String name, String fallback, String... others) {
    String v = req.getParameter(name);
    if (v == null || v.isEmpty() || v.equals(fallback)) {
      return fallback;
    }
    for (String a : others) {
      if (a.equals(v)) {
        return v;
      }
    }
    java.util.Set<String> allowed = new java.util.LinkedHashSet<>(List.of(fallback));
    allowed.addAll(List.of(others));
    throw ManagementException.invalid(name, name + " must be one of " + String.join(", ", allowed));
  }

  static View.When when(Instant t, Instant now) {
    return t == null ? null : new View.When(Format.relative(t, now), Format.exact(t), t.toString());
  }

  /** A time the services give as ISO-8601, for people; null when absent or unreadable. */
  static View.When when(String iso, Instant now) {
    if (iso == null) {
      return null;
    }
    try {
      Instant t = java.time.OffsetDateTime.parse(iso).toInstant();
      return new View.When(Format.relative(t, now), Format.exact(t), t.toString());
    } catch (DateTimeParseException e) {
      try {
        Instant t = Instant.parse(iso);
        return new View.When(Format.relative(t, now), Format.exact(t), t.toString());
      } catch (DateTimeParseException e2) {
        return new View.When(iso, iso, null);
      }
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
