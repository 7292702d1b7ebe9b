package io.wharf.server.ui;

import gg.jte.html.HtmlTemplateOutput;
import io.wharf.core.manifest.Manifest;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.model.Reference;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Page;
import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Repository;
import io.wharf.proxy.ProxyRepository;
import io.wharf.proxy.UpstreamStatus;
import io.wharf.server.admin.Caller;
import io.wharf.server.admin.HealthService;
import io.wharf.server.admin.ManagementException;
import io.wharf.server.admin.Permissions;
import io.wharf.server.admin.RepositoryService;
import io.wharf.server.admin.RepositorySummary;
import io.wharf.server.auth.Action;
import io.wharf.server.config.WharfConfig;
import io.wharf.server.ui.View.Chrome;
import io.wharf.server.ui.View.Command;
import io.wharf.server.ui.View.Crumb;
import io.wharf.server.ui.templates.JtedeleteGenerated;
import io.wharf.server.ui.templates.JteerrorGenerated;
import io.wharf.server.ui.templates.JteimageGenerated;
import io.wharf.server.ui.templates.JteimagesGenerated;
import io.wharf.server.ui.templates.JteloginGenerated;
import io.wharf.server.ui.templates.JterepositoriesGenerated;
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
import tools.jackson.databind.JsonNode;

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

  private final String base;
  private final WharfConfig config;
  private final Map<String, WharfConfig.Repository> declared = new LinkedHashMap<>();
  private final Registry registry;
  private final RepositoryService repositories;
  private final HealthService health;
  private final Permissions permissions;
  private final Function<String, Integer> boundPort;
  private final URI publicUrl;
  private final ImageBrowser browser;
  private final Clock clock;

  UiPages(String base, WharfConfig config, Registry registry, RepositoryService repositories, HealthService health,
      Permissions permissions, Function<String, Integer> boundPort, URI publicUrl, ImageBrowser browser, Clock clock) {
    this.base = base;
    this.config = config.withDefaults();
    this.config.repositories().forEach(r -> declared.put(r.name(), r));
    this.registry = Objects.requireNonNull(registry);
    this.repositories = Objects.requireNonNull(repositories);
    this.health = Objects.requireNonNull(health);
    this.permissions = Objects.requireNonNull(permissions);
    this.boundPort = boundPort;
    this.publicUrl = publicUrl;
    this.browser = browser;
    this.clock = clock;
  }

  private Chrome chrome(UiServlet.Visitor v, String title, String section, String flash) {
    return new Chrome(title + " · Wharf", base, v.user(), permissions.secured(), v.csrf(), flash, section);
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
    String flash = req.getParameter("loggedOut") != null ? "You are logged out." : null;
    HealthService.Readiness ready = health.readiness();
    String warning = ready.ready() ? null
        : "The server is not ready: " + String.join(", ", ready.failing().keySet()) + " failing.";
    View.RepositoriesPage page = new View.RepositoriesPage(chrome(v, "Repositories", "repositories", flash), rows,
        note, warning);
    return out -> JterepositoriesGenerated.render(out, null, page);
  }

  private View.RepositoryRow row(HttpServletRequest req, Caller caller, Repository r) {
    WharfConfig.Repository c = declared.get(r.name());
    boolean serverTls = config.server().tls() != null || req.isSecure()
        || publicUrl != null && "https".equals(publicUrl.getScheme());
    boolean ownTls = c != null && c.http() != null && c.http().tls() != null || config.server().tls() != null;
    String defaultName = config.server().defaultRepository() != null ? config.server().defaultRepository()
        : registry.defaultRepository().name();
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

  Consumer<HtmlTemplateOutput> images(HttpServletRequest req, UiServlet.Visitor v, String name) throws IOException {
    Repository r = repositories.readable(v.caller(), name);
    String last = req.getParameter("last");
    Page page = browser.images(r, pageSize(req), last);
    List<View.ImageRow> rows = new ArrayList<>();
    for (String image : page.items()) {
      List<String> tags = List.of();
      boolean more = false;
      String error = null;
      try {
        Page t = browser.someTags(r, ImageName.of(image), TAG_PREVIEW);
        tags = t.items();
        more = t.hasMore();
      } catch (IOException | RuntimeException e) {
        error = "tags unavailable: " + e.getMessage();
      }
      rows.add(new View.ImageRow(image, imageHref(name, image), tags, more, error));
    }
    String next = page.hasMore() ? base + "/repositories/" + name + "?last=" + enc(page.lastItem()) : null;
    View.ImagesPage p = new View.ImagesPage(chrome(v, name, "repositories", null),
        List.of(new Crumb("Repositories", base + "/"), new Crumb(name, null)),
        row(req, v.caller(), r), rows, next, last == null);
    return out -> JteimagesGenerated.render(out, null, p);
  }

  // ---------------------------------------------------------------- tags

  Consumer<HtmlTemplateOutput> tags(HttpServletRequest req, UiServlet.Visitor v, String name, String imageName)
      throws IOException {
    Repository r = repositories.readable(v.caller(), name);
    ImageName image = ImageName.of(imageName);
    String filter = Optional.ofNullable(req.getParameter("q")).orElse("").strip();
    String last = req.getParameter("last");
    ImageBrowser.TagPage page = browser.tags(r, image, filter, pageSize(req), last);
    boolean canDelete = mayDelete(v.caller(), r);
    List<ImageBrowser.TagInfo> infos = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (String t : page.tags()) {
      try {
        infos.add(browser.tag(r, image, t));
        errors.add(null);
      } catch (IOException | RuntimeException e) {
        infos.add(null);
        errors.add(e.getMessage());
      }
    }
    List<View.TagRow> rows = new ArrayList<>();
    for (int i = 0; i < page.tags().size(); i++) {
      String t = page.tags().get(i);
      ImageBrowser.TagInfo info = infos.get(i);
      if (info == null) {
        rows.add(new View.TagRow(t, tagHref(name, imageName, t), "", "", "", "", List.of(), 0, null,
            errors.get(i)));
        continue;
      }
      Digest d = info.manifest().digest();
      List<String> same = new ArrayList<>();
      for (ImageBrowser.TagInfo other : infos) {
        if (other != null && other != info && other.manifest().digest().equals(d)) {
          same.add(other.tag());
        }
      }
      rows.add(new View.TagRow(t, tagHref(name, imageName, t), d.toString(), Format.shortDigest(d.toString()),
          kind(info.manifest(), info.platforms()), Format.size(info.totalSize()),
          same.subList(0, Math.min(SAME_SHOWN, same.size())), Math.max(0, same.size() - SAME_SHOWN),
          canDelete ? tagHref(name, imageName, t) + "/delete" : null, null));
    }
    String action = imageHref(name, imageName);
    String q = filter.isEmpty() ? "" : "&q=" + enc(filter);
    String next = page.hasMore() ? action + "?last=" + enc(page.tags().get(page.tags().size() - 1)) + q : null;
    String first = last == null ? null : action + (filter.isEmpty() ? "" : "?q=" + enc(filter));
    String deleted = req.getParameter("deleted");
    String flash = deleted != null && Tag.isValid(deleted) ? "Tag " + deleted + " deleted." : null;
    View.TagsPage p = new View.TagsPage(chrome(v, imageName + " in " + name, "repositories", flash),
        List.of(new Crumb("Repositories", base + "/"), new Crumb(name, base + "/repositories/" + name),
            new Crumb(imageName, null)),
        name, imageName, action, filter, page.total(), rows, next, first, canDelete);
    return out -> JtetagsGenerated.render(out, null, p);
  }

  private static String kind(Manifest m, int platforms) {
    if (m.isIndex()) {
      return "index, " + platforms + (platforms == 1 ? " platform" : " platforms");
    }
    String config = m.config().map(c -> c.mediaType()).orElse("");
    if (m.artifactType() != null || !config.equals(MediaTypes.OCI_CONFIG) && !config.equals(MediaTypes.DOCKER_CONFIG)) {
      return "artifact " + m.effectiveArtifactType();
    }
    return "image";
  }

  // ---------------------------------------------------------------- one image

  Consumer<HtmlTemplateOutput> image(HttpServletRequest req, UiServlet.Visitor v, String name, String imageName,
      String reference) throws IOException {
    Repository r = repositories.readable(v.caller(), name);
    ImageName image = ImageName.of(imageName);
    Reference ref = Reference.parse(reference);
    Manifest m = browser.manifest(r, image, ref).orElseThrow(() -> new ManagementException(
        ManagementException.Reason.NOT_FOUND, imageName + (ref instanceof Tag ? ":" : "@") + reference
            + " is not in repository " + name + "."));
    String digest = m.digest().toString();

    List<View.PlatformRow> platforms = new ArrayList<>();
    for (ImageBrowser.Platform p : m.isIndex() ? browser.platforms(m) : List.<ImageBrowser.Platform>of()) {
      String size;
      try {
        size = browser.manifest(r, image, p.descriptor().digest())
            .map(c -> {
              try {
                return Format.size(browser.totalSize(r, image, c));
              } catch (IOException e) {
                return "?";
              }
            }).orElse("not stored");
      } catch (IOException | RuntimeException e) {
        size = "?";
      }
      String d = p.descriptor().digest().toString();
      platforms.add(new View.PlatformRow(p.label(), d, Format.shortDigest(d),
          base + "/repositories/" + name + "/images/" + imageName + "@" + d, size));
    }
    List<View.LayerRow> layers = new ArrayList<>();
    int i = 1;
    for (Manifest.Layer l : m.layers()) {
      String d = l.descriptor().digest().toString();
      layers.add(new View.LayerRow(i++, d, Format.shortDigest(d), l.descriptor().mediaType(),
          Format.size(l.descriptor().size()), l.isForeign() ? "foreign: clients fetch it from " + l.urls().get(0)
              : null));
    }
    View.Config config = browser.config(r, image, m).map(this::config).orElse(null);
    ImageBrowser.Tags tags = browser.tagsOf(r, image, m.digest());

    Reach reach = row(req, v.caller(), r).reach().get(0);
    List<Command> commands = new ArrayList<>();
    String tag = ref instanceof Tag ? reference : tags.tags().isEmpty() ? null : tags.tags().get(0);
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

    String deleteHref = ref instanceof Tag && mayDelete(v.caller(), r) ? tagHref(name, imageName, reference) + "/delete"
        : null;
    String title = imageName + (ref instanceof Tag ? ":" + reference : "@" + Format.shortDigest(digest));
    List<Crumb> crumbs = List.of(new Crumb("Repositories", base + "/"),
        new Crumb(name, base + "/repositories/" + name), new Crumb(imageName, imageHref(name, imageName)),
        new Crumb(ref instanceof Tag ? reference : Format.shortDigest(digest), null));
    View.ImagePage p = new View.ImagePage(chrome(v, title, "repositories", null), crumbs, name, imageName,
        reference, digest, m.mediaType(), Format.size(m.bytes().length), m.isIndex(), platforms, layers,
        Format.size(browser.totalSize(r, image, m)),
        m.config().map(c -> c.digest().toString()).orElse(null), config, m.annotations(), tags.tags(),
        tags.complete(), commands, deleteHref);
    return out -> JteimageGenerated.render(out, null, p);
  }

  private View.Config config(JsonNode c) {
    String created = text(c, "created");
    String ago = null;
    if (created != null) {
      try {
        ago = Format.relative(Instant.parse(created), clock.instant());
      } catch (DateTimeParseException e) {
        ago = null;
      }
    }
    String os = text(c, "os");
    String arch = text(c, "architecture");
    String variant = text(c, "variant");
    String platform = os == null && arch == null ? null : os + "/" + arch + (variant == null ? "" : "/" + variant);
    Map<String, String> labels = new LinkedHashMap<>();
    c.path("config").path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asString()));
    List<View.HistoryRow> history = new ArrayList<>();
    for (JsonNode h : c.path("history")) {
      history.add(new View.HistoryRow(text(h, "created"), text(h, "created_by"), text(h, "comment"),
          h.path("empty_layer").asBoolean(false)));
    }
    List<String> entrypoint = new ArrayList<>();
    c.path("config").path("Entrypoint").forEach(e -> entrypoint.add(e.asString()));
    c.path("config").path("Cmd").forEach(e -> entrypoint.add(e.asString()));
    return new View.Config(created, ago, text(c, "author"), platform, labels, history, entrypoint);
  }

  // ---------------------------------------------------------------- delete a tag

  Consumer<HtmlTemplateOutput> confirmDelete(HttpServletRequest req, UiServlet.Visitor v, String name,
      String imageName, String tag) throws IOException {
    Repository r = deletable(v.caller(), name);
    ImageName image = ImageName.of(imageName);
    ImageBrowser.TagInfo info = browser.tag(r, image, Tag.of(tag).value());
    Digest digest = info.manifest().digest();
    ImageBrowser.Tags tags = browser.tagsOf(r, image, digest);
    List<String> others = tags.tags().stream().filter(t -> !t.equals(tag)).toList();
    List<String> consequences = new ArrayList<>();
    consequences.add("Only the tag goes: no manifest, layer or other tag is deleted now.");
    if (!others.isEmpty()) {
      consequences.add("The manifest " + Format.shortDigest(digest.toString()) + " keeps "
          + (others.size() == 1 ? "its other tag " : "its other tags ") + String.join(", ", others) + ".");
    } else {
      consequences.add("The manifest " + Format.shortDigest(digest.toString()) + " is left without a tag"
          + (tags.complete() ? "" : " (of the first " + ImageBrowser.TAG_SCAN_LIMIT + " tags, none other points"
              + " at it)")
          + ". It stays pullable by digest until a cleanup policy that removes untagged images deletes it;"
          + " garbage collection then frees the layers no other image uses (" + Format.size(info.totalSize())
          + " at most).");
    }
    String action = tagHref(name, imageName, tag) + "/delete";
    View.DeletePage p = new View.DeletePage(chrome(v, "Delete " + imageName + ":" + tag, "repositories", null),
        List.of(new Crumb("Repositories", base + "/"), new Crumb(name, base + "/repositories/" + name),
            new Crumb(imageName, imageHref(name, imageName)), new Crumb(tag, tagHref(name, imageName, tag)),
            new Crumb("delete", null)),
        name, imageName, tag, digest.toString(), others, consequences, action, tagHref(name, imageName, tag));
    return out -> JtedeleteGenerated.render(out, null, p);
  }

  /** Deletes the tag; returns where to go next (below the UI's path). */
  String deleteTag(UiServlet.Visitor v, String name, String imageName, String tag) throws IOException {
    Repository r = deletable(v.caller(), name);
    browser.deleteTag(r, ImageName.of(imageName), Tag.of(tag).value());
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

  // ---------------------------------------------------------------- login, errors

  Consumer<HtmlTemplateOutput> login(UiServlet.Visitor v, String username, String error, String next) {
    View.LoginPage p = new View.LoginPage(chrome(v, "Log in", "login", null), username == null ? "" : username,
        error, next, v.csrf());
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

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asString();
  }
}
