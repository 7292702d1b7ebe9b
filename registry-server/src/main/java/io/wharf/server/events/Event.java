package io.wharf.server.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/**
 * Something that happened to an artifact, as the registry tells the outside world: who did what
 * to which manifest or blob, when, on which node. Written to the outbox before the request that
 * caused it answers, then delivered to every webhook endpoint whose filter it passes. The same id
 * travels with every delivery attempt, so a receiver can drop the duplicates at-least-once
 * delivery brings.
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
 */
public record Event(String id, String timestamp, Action action, String repository, String image, String tag,
    String digest, String mediaType, Long size, String fromRepository, String url, Actor actor, Request request,
    String node) {

  /** What happened. The wire name ({@link #wire()}) is distribution's where it has one. */
  public enum Action {
    PUSH("pushed"), PULL("pulled"), DELETE("deleted"), MOUNT("mounted"), PING("ping");

    private final String past;

    Action(String past) {
      this.past = past;
    }

    /** {@code push}, {@code pull}, ...: distribution's {@code action}, the filter's names and the JSON's. */
    @JsonValue
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** {@code pushed}, {@code pulled}, ...: the end of the CloudEvents type. */
    public String pastTense() {
      return past;
    }

    /** The action named {@code wire}, or null. */
    @JsonCreator
    public static Action of(String wire) {
      for (Action a : values()) {
        if (a.wire().equalsIgnoreCase(wire)) {
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
  }

  /** A new event with a fresh id, now. */
  public static Event of(Action action, String repository, String image, String tag, String digest, String mediaType,
      Long size, String fromRepository, String url, Actor actor, Request request, String node, Instant now) {
    return new Event(UUID.randomUUID().toString(), now.toString(), action, repository, image, tag, digest, mediaType,
        size, fromRepository, url, actor, request, node);
  }
}
