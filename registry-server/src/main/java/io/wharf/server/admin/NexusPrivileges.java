package io.wharf.server.admin;

import io.wharf.server.auth.Action;
import io.wharf.server.auth.Privilege;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Wharf's privileges ({@code <repository>:<action>}) as Nexus names them, both ways:
 *
 * <table>
 *   <caption>Nexus privilege to Wharf privileges</caption>
 *   <tr><th>Nexus</th><th>Wharf</th></tr>
 *   <tr><td>{@code nx-all}</td><td>{@code *:admin} (the server's administrator)</td></tr>
 *   <tr><td>{@code nx-repository-view-docker-<repo>-browse}, {@code -read}</td><td>{@code <repo>:read}</td></tr>
 *   <tr><td>{@code nx-repository-view-docker-<repo>-add}, {@code -edit}</td><td>{@code <repo>:write}</td></tr>
 *   <tr><td>{@code nx-repository-view-docker-<repo>-delete}</td><td>{@code <repo>:delete}</td></tr>
 *   <tr><td>{@code nx-repository-view-docker-<repo>-*}</td><td>{@code <repo>:read}, {@code write}, {@code delete}</td></tr>
 *   <tr><td>{@code nx-repository-admin-docker-<repo>-*}</td><td>{@code <repo>:admin}</td></tr>
 * </table>
 *
 * <p>{@code <repo>} is a repository name or {@code *} (any); the format may be {@code *} too
 * ({@code nx-repository-view-*-*-read}), Wharf having only Docker repositories. Wharf's own form
 * ({@code docker-hosted:write}) is accepted as well. Anything else is refused, naming what is known.
 */
final class NexusPrivileges {
  static final String NX_ALL = "nx-all";
  private static final String VIEW = "nx-repository-view-";
  private static final String ADMIN = "nx-repository-admin-";

  private NexusPrivileges() {}

  /**
   * The Wharf privileges a Nexus privilege name (or a Wharf {@code repo:action}) stands for.
   *
   * @throws IllegalArgumentException saying what is wrong and what is known
   */
  static Set<Privilege> parse(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a privilege name is empty");
    }
    if (name.equals(NX_ALL)) {
      return Set.of(Privilege.ALL);
    }
    boolean view = name.startsWith(VIEW);
    if (!view && !name.startsWith(ADMIN)) {
      if (name.indexOf(':') > 0 && !name.startsWith("nx-")) {
        return Set.of(Privilege.parse(name));
      }
      throw unknown(name);
    }
    String rest = name.substring(view ? VIEW.length() : ADMIN.length());
    int first = rest.indexOf('-');
    int last = rest.lastIndexOf('-');
    if (first <= 0 || last <= first + 1 || last == rest.length() - 1) {
      throw unknown(name);
    }
    String format = rest.substring(0, first);
    String repository = rest.substring(first + 1, last);
    String action = rest.substring(last + 1).toLowerCase(Locale.ROOT);
    if (!format.equals("docker") && !format.equals("*")) {
      throw new IllegalArgumentException("\"" + name + "\": Wharf has docker repositories only (format docker or *)");
    }
    if (!view) {
      if (!action.equals("*")) {
        throw new IllegalArgumentException("\"" + name + "\": Wharf has no partial repository administration;"
            + " use " + ADMIN + format + "-" + repository + "-*");
      }
      return Set.of(new Privilege(repository, Action.ADMIN));
    }
    Set<Action> actions = switch (action) {
      case "browse", "read" -> EnumSet.of(Action.READ);
      case "add", "edit" -> EnumSet.of(Action.WRITE);
      case "delete" -> EnumSet.of(Action.DELETE);
      case "*" -> EnumSet.of(Action.READ, Action.WRITE, Action.DELETE);
      default -> throw new IllegalArgumentException("\"" + name + "\": unknown action \"" + action
          + "\"; known: browse, read, add, edit, delete, *");
    };
    Set<Privilege> out = new LinkedHashSet<>();
    actions.forEach(a -> out.add(new Privilege(repository, a)));
    return out;
  }

  private static IllegalArgumentException unknown(String name) {
    return new IllegalArgumentException("unknown privilege \"" + name + "\"; Wharf knows " + NX_ALL + ", "
        + VIEW + "docker-<repository or *>-<browse|read|add|edit|delete|*>, " + ADMIN
        + "docker-<repository or *>-*, and its own <repository>:<read|write|delete|admin>");
  }

  /** The Nexus names of Wharf privileges (a role of the config file, as the API shows it). */
  static List<String> names(Set<Privilege> privileges) {
    List<String> out = new ArrayList<>();
    for (Privilege p : privileges) {
      if (p.equals(Privilege.ALL)) {
        out.add(NX_ALL);
        continue;
      }
      String view = VIEW + "docker-" + p.repository() + "-";
      switch (p.action()) {
        case READ -> {
          out.add(view + "browse");
          out.add(view + "read");
        }
        case WRITE -> {
          out.add(view + "add");
          out.add(view + "edit");
        }
        case DELETE -> out.add(view + "delete");
        case ADMIN -> out.add(ADMIN + "docker-" + p.repository() + "-*");
      }
    }
    return out;
  }
}
