package io.wharf.server.ui;

import java.util.List;
import java.util.Map;

/**
 * What the templates show, one record per page, already in words and human units: the
 * templates ({@code src/main/jte}) only lay it out, and javac checks them against these types.
 * Every string here may come from a client (image names, tags, labels) and is escaped by JTE.
 */
public final class View {
  private View() {}

  /**
   * What every page shares: the title, who is logged in, the links of the navigation.
   *
   * @param base the UI's path ({@code /ui}); links are {@code base + "/..."}
   * @param user the logged-in user; null for anonymous
   * @param secured whether the server has users at all (without, nobody logs in)
   * @param csrf the token every form of this page carries
   * @param flash a one-time message after an action (null for none)
   * @param admin whether the visitor administers the whole server (blob stores, security)
   */
  public record Chrome(String title, String base, String user, boolean secured, String csrf, String flash,
      String section, boolean admin) {
    /**
     * A link within the UI.
     *
     * @param path the path below the UI's, starting with {@code /}
     * @return {@code base + path}
     */
    public String href(String path) {
      return base + path;
    }
  }

  /** A link of a breadcrumb trail; {@code href} null for the current page. */
  public record Crumb(String label, String href) {}

  /** A copyable command with what it does. */
  public record Command(String label, String text) {}

  // ---------------------------------------------------------------- repositories

  /**
   * @param note for anonymous visitors: what they see and why
   * @param warning what fails of the server's readiness (storage), names only; null when ready
   */
  public record RepositoriesPage(Chrome chrome, List<RepositoryRow> repositories, String note, String warning,
      boolean canCreate) {}

  /**
   * @param kind {@code hosted}, {@code proxy} or {@code group}
   * @param detail the write policy, the upstream URL or the members
   * @param health null when there is nothing to say (hosted, group)
   * @param healthy whether {@code health} is good news
   */
  public record RepositoryRow(String name, String href, String kind, String detail, List<Reach> reach,
      String login, String pullExample, String health, String healthTitle, boolean healthy, boolean anonymousPull) {}

  /** A moment: relative for reading ({@code 3 hours ago}), exact on hover, ISO for machines. Null fields: unknown. */
  public record When(String relative, String exact, String iso) {}

  /** A link that sorts a listing by a column; {@code current} marks the column sorted by now. */
  public record SortLink(String label, String href, boolean current, boolean descending) {}

  // ---------------------------------------------------------------- images of a repository

  /**
   * @param filter the prefix image names were filtered by ({@code ""}: none)
   * @param next the link to the next page, null on the last; {@code firstPage} null on the first
   */
  public record ImagesPage(Chrome chrome, List<Crumb> crumbs, RepositoryRow repository, String action, String filter,
      List<ImageRow> images, String next, String firstPage, String editHref, String deleteHref, Activity activity) {}

  /**
   * One image of a repository's list.
   *
   * @param name the image name
   * @param href its page
   * @param tags how many tags it has
   * @param lastPushed when a tag of it was last pushed
   */
  public record ImageRow(String name, String href, int tags, When lastPushed) {}

  // ---------------------------------------------------------------- tags of an image

  /**
   * @param filter the text the tags were filtered by ({@code ""}: none)
   * @param show {@code tagged}, {@code untagged} or {@code all}
   * @param sorts the column headers' links
   * @param total how many tags the image has
   * @param next the link to the next page, null on the last
   */
  public record TagsPage(Chrome chrome, List<Crumb> crumbs, String repository, String image, String action,
      String filter, String show, String sort, String order, List<SortLink> sorts, int total, List<TagRow> tags,
      String next, String firstPage, boolean canDelete) {}

  /**
   * @param tag null for a manifest no tag points at
   * @param kind {@code linux/amd64}, {@code index, 3 platforms}, ...
   * @param sameAs the first few other tags on this page with the same digest; {@code sameAsMore} the rest's count
   * @param deleteHref the confirmation page; null without the delete right
   */
  public record TagRow(String tag, String href, String digest, String shortDigest, String kind, String size,
      When pushed, List<String> sameAs, int sameAsMore, String deleteHref) {}

  // ---------------------------------------------------------------- one image

  /**
   * @param reference the tag or digest asked for
   * @param tags the image's tags that point at this manifest
   * @param totalSize what a pull of every platform downloads; {@code compressedSize} the layers alone
   */
  public record ImagePage(Chrome chrome, List<Crumb> crumbs, String repository, String image, String reference,
      String digest, String mediaType, String artifactType, String manifestSize, boolean index,
      List<PlatformRow> platforms, List<LayerRow> layers, String totalSize, String compressedSize,
      String configDigest, Config config, Map<String, String> annotations, List<String> tags,
      List<ReferrerRow> referrers, String subjectHref, List<Command> commands, String deleteHref,
      Activity activity) {}

  /**
   * One platform of an image index.
   *
   * @param platform e.g. {@code linux/arm64/v8}
   * @param digest the platform manifest's digest
   * @param shortDigest the digest as shown
   * @param href the platform manifest's page
   * @param size what a pull of the platform downloads
   */
  public record PlatformRow(String platform, String digest, String shortDigest, String href, String size) {}

  /**
   * One layer of an image manifest.
   *
   * @param number its position, from 1
   * @param digest the layer's digest
   * @param shortDigest the digest as shown
   * @param mediaType the layer's media type
   * @param size its compressed size
   * @param note what else there is to say (foreign layer, non-distributable), or null
   */
  public record LayerRow(int number, String digest, String shortDigest, String mediaType, String size,
      String note) {}

  /** A signature, SBOM, attestation or other artifact whose subject is this image. */
  public record ReferrerRow(String kind, String artifactType, String digest, String shortDigest, String href,
      String size) {}

  /** What the config blob says; fields absent from it are null or empty. */
  public record Config(When created, String author, String platform, Map<String, String> labels,
      List<HistoryRow> history) {}

  /**
   * One entry of the config's history.
   *
   * @param created when the step ran
   * @param createdBy the command of the step
   * @param comment the step's comment, or null
   * @param emptyLayer whether the step made no layer
   */
  public record HistoryRow(When created, String createdBy, String comment, boolean emptyLayer) {}

  // ---------------------------------------------------------------- recent activity

  /**
   * The last events of a repository or an image, from the audit trail, newest first.
   *
   * @param note why there is nothing to show (no right to the trail, nothing recorded); null when there are rows
   */
  public record Activity(List<ActivityRow> rows, String note) {}

  /**
   * One event.
   *
   * @param what {@code pushed}, {@code tag moved}, {@code tag restored}, {@code deleted}, {@code pulled}, ...
   * @param action the event's wire name ({@code push}), for styling
   * @param imageHref null when the event names no image; {@code digestHref} null for a blob's or no digest
   * @param user null: anonymous
   */
  public record ActivityRow(When when, String what, String action, String image, String imageHref, String tag,
      String tagHref, String digest, String shortDigest, String digestHref, String user, String address) {}

  // ---------------------------------------------------------------- robot accounts and API tokens

  /**
   * The robot accounts (administrators) or the visitor's own API tokens: one page, two kinds.
   *
   * @param robots true: robot accounts; false: the visitor's API tokens
   * @param created the credential just made, with its secret: shown this once; null otherwise
   * @param newHref the form that makes one
   */
  public record CredentialsPage(Chrome chrome, List<Crumb> crumbs, boolean robots, List<CredentialRow> rows,
      Created created, String newHref) {}

  /**
   * @param scope one line per rule ({@code docker-hosted, team-*: pull, push})
   * @param expires null: never
   * @param lastUsed null: never used; {@code lastUsedFrom} the client's address
   * @param revokeHref the confirmation page
   */
  public record CredentialRow(String name, String id, String description, List<String> scope, When created,
      String createdBy, When expires, boolean expired, boolean disabled, When lastUsed, String lastUsedFrom,
      String revokeHref) {}

  /**
   * A credential just made. Its secret leaves the server this one time (and is never stored in the
   * clear): the page after the form's POST shows it, directly, not through a redirect.
   *
   * @param login a {@code docker login} line for it (robots), null for API tokens
   */
  public record Created(String name, String secret, String login) {}

  /** Revoke a robot account or an API token: what it does, and the button. */
  public record RevokePage(Chrome chrome, List<Crumb> crumbs, String heading, List<String> consequences,
      String action, String cancel) {}

  // ---------------------------------------------------------------- delete

  /**
   * @param consequences what happens besides the tag going away, one sentence each
   */
  public record DeletePage(Chrome chrome, List<Crumb> crumbs, String repository, String image, String tag,
      String digest, List<String> otherTags, List<String> consequences, String action, String cancel) {}

  // ---------------------------------------------------------------- search

  /**
   * @param query what was asked ({@code ""}: nothing yet); {@code repository} the repository it was limited to
   * @param repositories the repositories the visitor may read, to limit the search to one
   */
  public record SearchPage(Chrome chrome, String action, String query, String repository,
      List<String> repositories, List<SearchRow> hits, String next, String firstPage, String help) {}

  /**
   * One tag the search found.
   *
   * @param repository the repository
   * @param repositoryHref its page
   * @param image the image name
   * @param imageHref its page
   * @param tag the tag
   * @param tagHref the tag's page
   * @param digest the manifest's digest
   * @param shortDigest the digest as shown
   * @param size what a pull downloads
   * @param platforms the platforms of an index, or the image's one
   * @param pushed when the tag was pushed
   */
  public record SearchRow(String repository, String repositoryHref, String image, String imageHref, String tag,
      String tagHref, String digest, String shortDigest, String size, String platforms, When pushed) {}

  // ---------------------------------------------------------------- administration: repositories

  /** A field of a form: its name is the API's (a dotted path), so the API's messages land next to it. */
  public record Field(String name, String label, String kind, String value, List<String> options, String hint,
      String error) {
    /**
     * The HTML id of the field's input.
     *
     * @return {@code f-} and the name with dots as dashes
     */
    public String id() {
      return "f-" + name.replace('.', '-');
    }

    /**
     * Whether {@code option} shows checked: a checkbox whose value is {@code true}, or an option
     * among the comma-separated values.
     *
     * @param option the option
     * @return true to check it
     */
    public boolean checked(String option) {
      return kind.equals("checkbox") ? "true".equals(value)
          : value != null && List.of(value.split(",")).contains(option);
    }
  }

  /**
   * A form that a service's call takes: create or edit a repository, create a user, set a password.
   *
   * @param type the repository type a new repository's form is for (its tabs); null for other forms
   * @param errors the API's messages that name no field of this form (a name taken, a port in use)
   */
  public record FormPage(Chrome chrome, List<Crumb> crumbs, String heading, String type, boolean create,
      String action, List<Field> fields, List<String> errors, String submit, String cancel) {}

  /** What deleting a repository does, before it is done. */
  public record DeleteRepositoryPage(Chrome chrome, List<Crumb> crumbs, String repository, String kind,
      List<String> consequences, String action, String cancel) {}

  // ---------------------------------------------------------------- blob stores

  /**
   * The blob stores page.
   *
   * @param chrome what every page shares
   * @param stores the blob stores
   */
  public record BlobStoresPage(Chrome chrome, List<BlobStoreRow> stores) {}

  /**
   * @param free null where the store cannot tell (S3)
   * @param quota what the quota check says; {@code quotaOk} whether it is good news
   * @param running whether its maintenance runs now
   * @param lastReport the last run's report (null: none yet)
   * @param runAction the form that starts a run; null without maintenance
   */
  public record BlobStoreRow(String name, String type, String size, long blobs, String free, String reserve,
      When counted, String quota, boolean quotaOk, String schedule, boolean running, When lastRun, String lastResult,
      String lastReport, When nextRun, List<String> parts, String runAction, String previewHref) {}

  /** What a blob store's maintenance would remove now (a dry run). */
  public record PreviewPage(Chrome chrome, List<Crumb> crumbs, String store, When at, List<PreviewStep> steps,
      String garbage, List<String> garbageSample, String error, String skipped, String runAction) {}

  /** @param total the size of what it lists (each image counted in full, shared layers included) */
  public record PreviewStep(String name, String summary, List<PreviewItem> items, String total) {}

  /**
   * One thing a maintenance step would remove.
   *
   * @param item what it is (an image and tag, a blob)
   * @param href its page, or null
   * @param size its size
   */
  public record PreviewItem(String item, String href, String size) {}

  // ---------------------------------------------------------------- security

  /**
   * @param anonymous whether anonymous access is on; {@code anonymousAction} the form that turns it over
   */
  public record SecurityPage(Chrome chrome, List<UserRow> users, List<RoleRow> roles, boolean anonymous,
      String anonymousAction, String newUserHref) {}

  /** @param passwordHref the form that sets its password; null for the configuration file's users */
  public record UserRow(String id, String name, String source, String status, List<String> roles,
      String passwordHref) {}

  /**
   * One role of the security page.
   *
   * @param id the role's id
   * @param source where it is defined (configuration file, management API)
   * @param description what it is for
   * @param privileges its privileges
   * @param roles the roles it contains
   */
  public record RoleRow(String id, String source, String description, List<String> privileges, List<String> roles) {}

  // ---------------------------------------------------------------- login and errors

  /**
   * The login form.
   *
   * @param chrome what every page shares
   * @param username the name typed before (after a failed login), or null
   * @param error why the last login failed, or null
   * @param next where to go after logging in (a path of the UI)
   * @param csrf the token the form carries
   * @param ssoLabel the single sign-on button's label, or null without single sign-on
   * @param ssoHref where the single sign-on button goes, or null
   */
  public record LoginPage(Chrome chrome, String username, String error, String next, String csrf, String ssoLabel,
      String ssoHref) {}

  /**
   * A page that says what went wrong.
   *
   * @param chrome what every page shares
   * @param status the HTTP status
   * @param heading the page's heading
   * @param message what happened, for the visitor
   */
  public record ErrorPage(Chrome chrome, int status, String heading, String message) {}
}
