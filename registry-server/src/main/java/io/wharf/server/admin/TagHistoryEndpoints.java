package io.wharf.server.admin;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.Actor;
import io.wharf.core.repository.Repository;
import io.wharf.core.repository.TagRevision;
import io.wharf.server.auth.Action;
import io.wharf.server.events.Event;
import io.wharf.server.events.EventSink;
import io.wharf.server.http.ManifestChange;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * A tag's history and its rollback, in Wharf's API:
 * <pre>
 * GET  /v1/repositories/{repo}/history?image=team/app&amp;tag=1.0    where the tag points, and every change, newest first
 * POST /v1/repositories/{repo}/history/restore                   {"image","tag","digest"}: point the tag back (write)
 * </pre>
 * A restore is recorded in the history as {@code restore} by the caller, and published as a push
 * of the tag (webhooks and the audit trail see the tag move).
 */
final class TagHistoryEndpoints implements RestEndpoints {
  private final RepositoryService repositories;
  private final Permissions permissions;
  private final EventSink events;

  TagHistoryEndpoints(RepositoryService repositories, Permissions permissions, EventSink events) {
    this.repositories = Objects.requireNonNull(repositories);
    this.permissions = Objects.requireNonNull(permissions);
    this.events = events == null ? EventSink.NONE : events;
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    if (call.matches("v1", "repositories", "*", "history")) {
      call.allow("GET");
      Repository repo = repositories.readable(call.caller(), call.segment(2));
      ImageName image = image(call.query("image"));
      Tag tag = tag(call.query("tag"));
      call.send(history(repo, image, tag));
      return true;
    }
    if (call.matches("v1", "repositories", "*", "history", "restore")) {
      call.allow("POST");
      Repository repo = repositories.readable(call.caller(), call.segment(2));
      if (!permissions.may(call.caller(), repo, Action.WRITE)) {
        throw call.caller().isAnonymous()
            ? new ManagementException(ManagementException.Reason.UNAUTHENTICATED, "authentication required to restore a tag")
            : new ManagementException(ManagementException.Reason.FORBIDDEN,
                "user " + call.caller().user() + " may not push to repository " + repo.name());
      }
      JsonNode body = call.json();
      ImageName image = image(text(body, "image"));
      Tag tag = tag(text(body, "tag"));
      Digest digest = digest(text(body, "digest"));
      Actor.begin(call.caller().user());
      try {
        repo.restoreTag(image, tag, digest);
        new ManifestChange(repo, image).recordOn(call.request()); // search follows the tag at once
        Optional<io.wharf.core.manifest.Manifest> m = repo.getManifest(image, digest);
        events.publish(Event.of(Event.Action.PUSH, repo.name(), image.value(), tag.value(), digest.value(),
            m.map(io.wharf.core.manifest.Manifest::mediaType).orElse(null),
            m.map(x -> (long) x.bytes().length).orElse(null), null, null,
            new Event.Actor(call.caller().user(), call.request().getRemoteAddr(), call.request().getHeader("User-Agent")),
            new Event.Request(null, call.request().getHeader("Host"), "POST"), events.node(), events.now()));
      } catch (RegistryException e) {
        throw refusal(e);
      } finally {
        Actor.end();
      }
      call.send(history(repo, image, tag));
      return true;
    }
    return false;
  }

  private static Map<String, Object> history(Repository repo, ImageName image, Tag tag) throws IOException {
    List<TagRevision> revisions;
    Optional<Digest> current;
    try {
      revisions = new ArrayList<>(repo.tagHistory(image, tag));
      current = repo.getManifest(image, tag).map(io.wharf.core.manifest.Manifest::digest);
    } catch (RegistryException e) {
      throw refusal(e);
    }
    Collections.reverse(revisions);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("repository", repo.name());
    out.put("image", image.value());
    out.put("tag", tag.value());
    out.put("current", current.map(Digest::value).orElse(null));
    out.put("revisions", revisions);
    return out;
  }

  private static ManagementException refusal(RegistryException e) {
    ErrorCode c = e.code();
    if (c == ErrorCode.MANIFEST_UNKNOWN || c == ErrorCode.NAME_UNKNOWN) {
      return new ManagementException(ManagementException.Reason.NOT_FOUND, e.getMessage());
    }
    if (c == ErrorCode.DENIED || c == ErrorCode.UNSUPPORTED) {
      return new ManagementException(ManagementException.Reason.CONFLICT, e.getMessage());
    }
    return new ManagementException(ManagementException.Reason.of(c.httpStatus()), e.getMessage());
  }

  private static String text(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || !v.isString()) {
      throw ManagementException.invalid(field, "a string is required");
    }
    return v.asString();
  }

  private static ImageName image(String s) {
    if (s == null || !ImageName.isValid(s)) {
      throw ManagementException.invalid("image", "not an image name: " + s);
    }
    return ImageName.of(s);
  }

  private static Tag tag(String s) {
    if (s == null || !Tag.isValid(s)) {
      throw ManagementException.invalid("tag", "not a tag: " + s);
    }
    return Tag.of(s);
  }

  private static Digest digest(String s) {
    try {
      return Digest.parse(s);
    } catch (RuntimeException e) {
      throw ManagementException.invalid("digest", "not a digest such as sha256:<64 hex>: " + s);
    }
  }
}
