package io.wharf.server.admin;

import io.wharf.core.repository.Repository;
import io.wharf.server.auth.Action;
import io.wharf.server.auth.RegistrySecurity;

/**
 * What a caller may do to a repository, as the management services ask it: the same rights the
 * registry API enforces (users, roles, anonymous pull), so the two never disagree.
 */
public interface Permissions {

  /** A server without a {@code security:} section: everyone may everything, as on the registry API. */
  Permissions OPEN = new Permissions() {
    @Override
    public boolean may(Caller caller, Repository repository, Action action) {
      return true;
    }

    @Override
    public boolean mayEverywhere(Caller caller, Action action) {
      return true;
    }

    @Override
    public boolean secured() {
      return false;
    }
  };

  /**
   * Whether {@code caller} may do {@code action} on {@code repository}, by the same users, roles
   * and anonymous access the registry API checks.
   *
   * @param caller who asks; {@link Caller#ANONYMOUS} gets what the anonymous access allows
   * @param repository a running repository
   * @param action read, write, delete or admin
   * @return true when the caller holds the privilege
   */
  boolean may(Caller caller, Repository repository, Action action);

  /**
   * Whether {@code caller} may do {@code action} on every repository, those that do not exist yet
   * included ({@code *:admin}: Nexus's global administrator, who creates repositories). Default:
   * no one.
   *
   * @param caller who asks
   * @param action the action, usually admin
   * @return true when the caller holds {@code *:action}
   */
  default boolean mayEverywhere(Caller caller, Action action) {
    return false;
  }

  /**
   * Whether anyone can be refused anything: the UI shows a login and the anonymous state only then.
   *
   * @return false for {@link #OPEN}, true otherwise
   */
  default boolean secured() {
    return true;
  }

  /**
   * Refuses {@code caller} unless it administers every one of {@code repositories}: the rule for
   * what concerns the whole server or a whole blob store (status checks, blob stores, tasks, the
   * configuration).
   *
   * @param caller who asks
   * @param repositories every running repository; when there are none, a secured server still
   *     refuses anonymous callers
   * @param what what is refused, for the message ({@code "the blob stores"})
   * @throws ManagementException {@code UNAUTHENTICATED} for an anonymous caller, else {@code FORBIDDEN}
   */
  default void requireServerAdmin(Caller caller, Iterable<Repository> repositories, String what) {
    for (Repository r : repositories) {
      if (!may(caller, r, Action.ADMIN)) {
        throw caller.isAnonymous()
            ? new ManagementException(ManagementException.Reason.UNAUTHENTICATED,
                "authentication required: " + what + " are for administrators")
            : new ManagementException(ManagementException.Reason.FORBIDDEN,
                "user " + caller.user() + " needs the admin privilege on every repository to see " + what);
      }
    }
    if (secured() && caller.isAnonymous() && !repositories.iterator().hasNext()) {
      throw new ManagementException(ManagementException.Reason.UNAUTHENTICATED,
          "authentication required: " + what + " are for administrators");
    }
  }

  /**
   * Refuses {@code caller} unless it administers {@code repository} (running a repository's rule).
   *
   * @param caller who asks
   * @param repository the repository whose rule would run
   * @param what what is refused, for the message ({@code "run a sync rule"})
   * @throws ManagementException {@code UNAUTHENTICATED} for an anonymous caller, else {@code FORBIDDEN}
   */
  default void requireRepositoryAdmin(Caller caller, Repository repository, String what) {
    if (!may(caller, repository, Action.ADMIN)) {
      throw caller.isAnonymous()
          ? new ManagementException(ManagementException.Reason.UNAUTHENTICATED, "authentication required to " + what)
          : new ManagementException(ManagementException.Reason.FORBIDDEN,
              "user " + caller.user() + " may not administer repository " + repository.name());
    }
  }

  /**
   * The permissions the registry API enforces.
   *
   * @param security the server's security; null for a server without a {@code security:} section
   * @return permissions asking {@code security}; {@link #OPEN} when it is null
   */
  static Permissions of(RegistrySecurity security) {
    if (security == null) {
      return OPEN;
    }
    return new Permissions() {
      @Override
      public boolean may(Caller caller, Repository repository, Action action) {
        return security.may(caller.user(), repository, action);
      }

      @Override
      public boolean mayEverywhere(Caller caller, Action action) {
        return security.mayEverywhere(caller.user(), action);
      }
    };
  }
}
