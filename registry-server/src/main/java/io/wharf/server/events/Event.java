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
 * @param repository the Wharf repository ({@code docker-hosted})
 * @param image the image name inside it ({@code team/app}); null for repository-wide events
 * @param tag the tag the client used, if any
 * @param digest the manifest's or blob's digest, if known
 * @param mediaType the manifest's media type; null for blobs and deletes
 * @param size the manifest's or blob's size in bytes; null if unknown
 * @param fromRepository the image a blob was mounted from ({@link Action#MOUNT})
 * @param url where the artifact is fetched (by digest: a tag may move), or null
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
    PUSH("push", "artifact.pushed"),
    PULL("pull", "artifact.pulled"),
    DELETE("delete", "artifact.deleted"),
    MOUNT("mount", "artifact.mounted"),
    REPOSITORY_CREATE("repository.create", "repository.created"),
    REPOSITORY_CHANGE("repository.change", "repository.changed"),
    REPOSITORY_DELETE("repository.delete", "repository.deleted"),
    QUOTA_WARN("quota.warn", "quota.warned"),
    QUOTA_EXCEED("quota.exceed", "quota.exceeded"),
    CLEANUP_COMPLETE("cleanup.complete", "cleanup.completed"),
    GC_COMPLETE("gc.complete", "gc.completed"),
    SYNC_COMPLETE("sync.complete", "sync.completed"),
    REPLICATION_COMPLETE("replication.complete", "replication.completed"),
    PROXY_BLOCK("proxy.block", "proxy.blocked"),
    PROXY_UNBLOCK("proxy.unblock", "proxy.unblocked"),
    LOGIN_FAIL("login.fail", "login.failed"),
    LOGIN_LOCKOUT("login.lockout", "login.lockedout"),
    USER_CREATE("user.create", "user.created"),
    USER_CHANGE("user.change", "user.changed"),
    USER_DELETE("user.delete", "user.deleted"),
    ROLE_CREATE("role.create", "role.created"),
    ROLE_CHANGE("role.change", "role.changed"),
    ROLE_DELETE("role.delete", "role.deleted"),
    PING("ping", "ping");

    private final String wire;
    private final String type;

    Action(String wire, String type) {
      this.wire = wire;
      this.type = type;
    }

    /** {@code push}, {@code repository.create}, ...: distribution's {@code action}, the filter's names and the JSON's. */
    @JsonValue
    public String wire() {
      return wire;
    }

    /** {@code io.wharf.artifact.pushed}, {@code io.wharf.repository.created}, ...: the CloudEvents type. */
    public String cloudEventsType() {
      return "io.wharf." + type;
    }

    /** Whether it is about a manifest or blob (push, pull, delete, mount), the events distribution knows. */
    public boolean isArtifact() {
      return this == PUSH || this == PULL || this == DELETE || this == MOUNT;
    }

    /** Every action's wire name, for messages. */
    public static String names() {
      StringBuilder sb = new StringBuilder();
      for (Action a : values()) {
        if (a != PING) {
          sb.append(sb.length() == 0 ? "" : ", ").append(a.wire);
        }
      }
      return sb.toString();
    }

    /** The action named {@code wire}, or null. */
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

  /** Who: the user (null: anonymous), the client's address and user agent. */
  public record Actor(String name, String addr, String userAgent) {}

  /** The request that caused it: its host header and method. */
  public record Request(String id, String host, String method) {}

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

  /** A new event with a fresh id, now. */
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
  public static Event about(Action action, String repository, Actor actor, Request request,
      Map<String, Object> details, String node, Instant now) {
    return new Event(UUID.randomUUID().toString(), now.toString(), action, repository, null, null, null, null, null,
        null, null, actor, request, node, details);
  }
}
