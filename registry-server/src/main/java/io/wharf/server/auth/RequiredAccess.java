package io.wharf.server.auth;

import io.wharf.core.repository.Repository;
import io.wharf.server.routing.Route;
import java.util.ArrayList;
import java.util.List;

/**
 * What a request needs, decided in this one place from its route and method:
 *
 * <table>
 *   <caption>route and method to the privilege needed on the routed repository</caption>
 *   <tr><th>route</th><th>method</th><th>needs</th></tr>
 *   <tr><td>{@code /v2/}</td><td>any</td><td>a login: any valid credentials or token</td></tr>
 *   <tr><td>{@code /v2/_catalog}</td><td>GET, HEAD</td><td>read (token scope {@code registry:catalog:*})</td></tr>
 *   <tr><td>tags, referrers</td><td>GET, HEAD</td><td>read ({@code pull})</td></tr>
 *   <tr><td>manifests, blobs</td><td>GET, HEAD</td><td>read ({@code pull})</td></tr>
 *   <tr><td>manifests</td><td>PUT</td><td>write ({@code push})</td></tr>
 *   <tr><td>uploads</td><td>any</td><td>write ({@code push}); with {@code ?mount=&from=}, read on the
 *       source too, else the mount is ignored and the blob uploaded</td></tr>
 *   <tr><td>manifests, blobs</td><td>DELETE</td><td>delete</td></tr>
 *   <tr><td>anything else</td><td></td><td>nothing (the endpoint answers 404 or 405)</td></tr>
 * </table>
 *
 * <p>The repository is the routed one: a request through a group needs the privilege on the
 * group (and, to write or delete, on the group's writable member too: see
 * {@link RegistrySecurity}).
 *
 * @param login the request is a login check ({@code /v2/}): any authenticated caller passes
 * @param needs what the caller must hold; empty with {@code login == false}: nothing
 */
record RequiredAccess(boolean login, List<Need> needs) {
  static final RequiredAccess NOTHING = new RequiredAccess(false, List.of());
  static final RequiredAccess LOGIN = new RequiredAccess(true, List.of());

  /**
   * One thing the caller must hold.
   *
   * @param type the token scope type: {@code repository}, or {@code registry} for the catalog
   * @param name the image name as the client wrote it, or {@code catalog}
   * @param optional when missing, the request goes on without the part that needs it (a mount)
   */
  public record Need(Repository repository, String type, String name, Action action, boolean optional) {
    /** The Docker scope that grants it, e.g. {@code repository:team/app:pull}. */
    public String scope() {
      if (type.equals("registry")) {
        return "registry:catalog:*";
      }
      // Pushing clients ask for pull,push (they HEAD before they upload); so do our challenges.
      String actions = action == Action.WRITE ? "pull,push" : action.dockerName();
      return type + ":" + name + ":" + actions;
    }
  }

  public boolean isNothing() {
    return !login && needs.isEmpty();
  }

  /** The mapping. */
  public static RequiredAccess of(ApiCall call) {
    Route route = call.target().route();
    Repository repository = call.target().repository();
    String method = call.request().getMethod();
    String name = call.clientName();
    boolean read = method.equals("GET") || method.equals("HEAD");
    return switch (route.kind()) {
      case BASE -> LOGIN;
      case CATALOG -> read ? of(new Need(repository, "registry", "catalog", Action.READ, false)) : NOTHING;
      case TAGS, REFERRERS -> read ? of(repository, name, Action.READ) : NOTHING;
      case MANIFEST -> switch (method) {
        case "GET", "HEAD" -> of(repository, name, Action.READ);
        case "PUT" -> of(repository, name, Action.WRITE);
        case "DELETE" -> of(repository, name, Action.DELETE);
        default -> NOTHING;
      };
      case BLOB -> switch (method) {
        case "GET", "HEAD" -> of(repository, name, Action.READ);
        case "DELETE" -> of(repository, name, Action.DELETE);
        default -> NOTHING;
      };
      case UPLOADS -> {
        List<Need> needs = new ArrayList<>();
        needs.add(new Need(repository, "repository", name, Action.WRITE, false));
        String from = call.query("from");
        if (call.query("mount") != null && from != null) {
          // UploadEndpoints looks the source up in the same repository; clients ask pull on it
          needs.add(new Need(repository, "repository", from, Action.READ, true));
        }
        yield new RequiredAccess(false, List.copyOf(needs));
      }
      case UPLOAD -> of(repository, name, Action.WRITE);
      case UNKNOWN -> NOTHING;
    };
  }

  private static RequiredAccess of(Repository repository, String name, Action action) {
    return of(new Need(repository, "repository", name, action, false));
  }

  private static RequiredAccess of(Need need) {
    return new RequiredAccess(false, List.of(need));
  }
}
