package io.wharf.server.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Something that happened, as the registry tells the outside world: who did what to which
 * manifest or blob (an artifact event), or to a repository, a quota, a proxy's upstream, a user or
 * a role, or what a cleanup or garbage collection removed (see {@link Action}), when, on which
 * node. Written to the outbox before the request that caused it answers, then delivered to every
 * webhook endpoint whose filter it passes. The same id travels with every delivery attempt, so a
 * receiver can drop the duplicates at-least-once delivery brings.
 *
 * @param id unique, stable across redeliveries
 * @param timestamp RFC 3339, when the registry accepted the change
 * @param action what happened
 * @param repository the Wharf repository ({@code docker-hosted})
 * @param image the image name inside it ({@code team/app}); null for repository-wide events
 * @param tag the tag the client used, if any
 * @param digest the manifest's or blob's digest, if known
 * @param mediaType the manifest's media type; null for blobs and deletes
 * @param size the manifest's or blob's size in bytes; null if unknown
 * @param fromRepository the image a blob was mounted from ({@link Action#MOUNT})
 * @param url where the artifact is fetched (by digest: a tag may move), or null
 * @param actor who caused it, or null (a ping)
 * @param request the request that caused it, or null (a ping)
 * @param node the id of the Wharf process that accepted the change
 * @param details what only events of some actions carry (a quota's numbers, what a cleanup
 *     removed, the user a login named ...); null for artifact events. Keys and values are JSON:
 *     strings, numbers, booleans, lists and maps of them
 */
public record Event(String id, String timestamp, Action action, String repository, String image, String tag,
    String digest, String mediaType, Long size, String fromRepository, String url, Actor actor, Request request,
    String node, Map<String, Object> details) {

  /**
   * What happened. The wire name ({@link #wire()}) is distribution's for the artifact actions
   * ({@code push}, {@code pull}, {@code delete}, {@code mount}) and {@code <subject>.<verb>} for the
   * others; the CloudEvents type is {@code io.wharf.<subject>.<verb in the past>}.
   */
  public enum Action {
    /** A manifest or blob was pushed. */
    PUSH("push", "artifact.pushed"),
    /** A manifest or blob was pulled. */
    PULL("pull", "artifact.pulled"),
    /** A manifest, tag or blob was deleted. */
    DELETE("delete", "artifact.deleted"),
    /** A blob was mounted from another repository instead of uploaded. */
    MOUNT("mount", "artifact.mounted"),
    /** A repository was created through the management API. */
    REPOSITORY_CREATE("repository.create", "repository.created"),
    /** A repository's settings were changed. */
    REPOSITORY_CHANGE("repository.change", "repository.changed"),
    /** A repository was deleted. */
    REPOSITORY_DELETE("repository.delete", "repository.deleted"),
    /** A repository passed its quota's soft limit. */
    QUOTA_WARN("quota.warn", "quota.warned"),
    /** A push was refused because it would pass the quota's hard limit. */
    QUOTA_EXCEED("quota.exceed", "quota.exceeded"),
    /** A cleanup policy run finished; {@code details} says what it removed. */
    CLEANUP_COMPLETE("cleanup.complete", "cleanup.completed"),
    /** A garbage collection of a blob store finished; {@code details} says what it removed. */
    GC_COMPLETE("gc.complete", "gc.completed"),
    /** A sync run finished; {@code details} says what it copied. */
    SYNC_COMPLETE("sync.complete", "sync.completed"),
    /** A push rule's reconcile finished; {@code details} says what it copied and deleted. */
    REPLICATION_COMPLETE("replication.complete", "replication.completed"),
    /** A proxy repository stopped asking its upstream after failures. */
    PROXY_BLOCK("proxy.block", "proxy.blocked"),
    /** A proxy repository's upstream answers again. */
    PROXY_UNBLOCK("proxy.unblock", "proxy.unblocked"),
    /** A login failed: a wrong password, an unknown user or a bad token. */
    LOGIN_FAIL("login.fail", "login.failed"),
    /** A login was refused because its address or user is locked out. */
    LOGIN_LOCKOUT("login.lockout", "login.lockedout"),
    /** A user was created through the management API. */
    USER_CREATE("user.create", "user.created"),
    /** A user was changed (roles, password, enabled). */
    USER_CHANGE("user.change", "user.changed"),
    /** A user was deleted. */
    USER_DELETE("user.delete", "user.deleted"),
    /** A role was created through the management API. */
    ROLE_CREATE("role.create", "role.created"),
    /** A role's privileges or contained roles were changed. */
    ROLE_CHANGE("role.change", "role.changed"),
    /** A role was deleted. */
    ROLE_DELETE("role.delete", "role.deleted"),
    /** A test event the management API sends on request; it passes every filter. */
    PING("ping", "ping");

    private final String wire;
    private final String type;

    Action(String wire, String type) {
      this.wire = wire;
      this.type = type;
    }

    /**
     * {@code push}, {@code repository.create}, ...: distribution's {@code action}, the filter's names and the JSON's.
     *
     * @return the wire name
     */
    @JsonValue
    public String wire() {
      return wire;
    }

    /** {@code io.wharf.artifact.pushed}, {@code io.wharf.repository.created}, ...: the CloudEvents type. */
    String cloudEventsType() {
      return "io.wharf." + type;
    }

    /** Whether it is about a manifest or blob (push, pull, delete, mount), the events distribution knows. */
    boolean isArtifact() {
      return this == PUSH || this == PULL || this == DELETE || this == MOUNT;
    }

    /**
     * Every action's wire name, for messages.
     *
     * @return the wire names, comma-separated, in declaration order
     */
    public static String names() {
      StringBuilder sb = new StringBuilder();
      for (Action a : values()) {
        if (a != PING) {
          sb.append(sb.length() == 0 ? "" : ", ").append(a.wire);
        }
      }
      return sb.toString();
    }

    /**
     * The action named {@code wire}, or null.
     *
     * @param wire a wire name, in any case
     * @return the action, or null for an unknown name
     */
    @JsonCreator
    public static Action of(String wire) {
      for (Action a : values()) {
        if (a.wire.equalsIgnoreCase(wire)) {
          return a;
        }
      }
      return null;
    }
  }

  /**
   * Who caused an event.
   *
   * @param name the user; null: anonymous (or the server itself)
   * @param addr the client's address
   * @param userAgent the client's {@code User-Agent}
   */
  public record Actor(String name, String addr, String userAgent) {}

  /**
   * The request that caused an event.
   *
   * @param id the request's id, as its log lines carry it
   * @param host its {@code Host} header
   * @param method its HTTP method
   */
  public record Request(String id, String host, String method) {}

  /**
   * Checks the parts every event has and copies {@code details}.
   *
   * @param id unique, stable across redeliveries
   * @param timestamp RFC 3339, when the registry accepted the change
   * @param action what happened
   * @param repository the Wharf repository, or null
   * @param image the image name inside it, or null
   * @param tag the tag the client used, or null
   * @param digest the manifest's or blob's digest, or null
   * @param mediaType the manifest's media type, or null
   * @param size the size in bytes, or null
   * @param fromRepository the image a blob was mounted from, or null
   * @param url where the artifact is fetched, or null
   * @param actor who caused it, or null
   * @param request the request that caused it, or null
   * @param node the id of the Wharf process that accepted the change
   * @param details what only some actions carry; null or empty: none (stored as null)
   * @throws NullPointerException if {@code id}, {@code timestamp} or {@code action} is null
   */
  public Event {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(action, "action");
    details = details == null || details.isEmpty() ? null : Collections.unmodifiableMap(new LinkedHashMap<>(details));
  }

  /**
   * What the event is about, for CloudEvents' {@code subject}: {@code image:tag} (or
   * {@code image@digest}) for artifacts, else the user or role it names, else its repository,
   * else the blob store it names (a garbage collection).
   *
   * @return the subject, or null when the event names nothing (a ping)
   */
  public String subject() {
    if (image != null) {
      return image + (tag != null ? ":" + tag : digest != null ? "@" + digest : "");
    }
    String named = detail("user") != null ? detail("user") : detail("role");
    return named != null ? named : repository != null ? repository : detail("store");
  }

  private String detail(String key) {
    return details != null && details.get(key) instanceof String s ? s : null;
  }

  /**
   * A new event with a fresh id, now.
   *
   * @param action what happened
   * @param repository the Wharf repository, or null
   * @param image the image name inside it, or null
   * @param tag the tag the client used, or null
   * @param digest the manifest's or blob's digest, or null
   * @param mediaType the manifest's media type, or null
   * @param size the size in bytes, or null
   * @param fromRepository the image a blob was mounted from, or null
   * @param url where the artifact is fetched, or null
   * @param actor who caused it, or null
   * @param request the request that caused it, or null
   * @param node the id of this Wharf process
   * @param now when the registry accepted the change
   * @return the event, without details
   */
  public static Event of(Action action, String repository, String image, String tag, String digest, String mediaType,
      Long size, String fromRepository, String url, Actor actor, Request request, String node, Instant now) {
    return new Event(UUID.randomUUID().toString(), now.toString(), action, repository, image, tag, digest, mediaType,
        size, fromRepository, url, actor, request, node, null);
  }

  /**
   * A new event that is not about an artifact (a repository, a quota, a login ...), with a fresh id, now.
   *
   * @param repository the repository it concerns, or null (users, roles, logins, a blob store's collection)
   * @param actor who caused it; null when the server did on its own (a schedule, an upstream failing)
   */
  static Event about(Action action, String repository, Actor actor, Request request,
      Map<String, Object> details, String node, Instant now) {
    return new Event(UUID.randomUUID().toString(), now.toString(), action, repository, null, null, null, null, null,
        null, null, actor, request, node, details);
  }
}
