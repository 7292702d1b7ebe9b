package io.wharf.server.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which events an endpoint gets: defaults by format, action names and globs, repositories, media types. */
class EventFilterTest {
  private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

  private static Event artifact(Event.Action action, String repository, String mediaType) {
    return Event.of(action, repository, "team/app", "1", "sha256:" + "a".repeat(64), mediaType, 10L, null, null, null,
        null, "n", NOW);
  }

  private static Event about(Event.Action action, String repository) {
    return Event.about(action, repository, null, null, Map.of("store", "default"), "n", NOW);
  }

  private static List<Event.Action> accepted(EventFilter f, String repository) {
    return Arrays.stream(Event.Action.values()).filter(a -> a != Event.Action.PING)
        .filter(a -> f.accepts(a.isArtifact() ? artifact(a, repository, "m") : about(a, repository))).toList();
  }

  @Test
  void defaults_distributionGetsArtifactsButPulls_cloudEventsEverythingButPulls() {
    assertThat(accepted(EventFilter.defaults(EventFormat.DISTRIBUTION), "hosted"))
        .containsExactly(Event.Action.PUSH, Event.Action.DELETE, Event.Action.MOUNT);
    List<Event.Action> ce = accepted(EventFilter.defaults(EventFormat.CLOUDEVENTS), "hosted");
    assertThat(ce).doesNotContain(Event.Action.PULL).contains(Event.Action.PUSH, Event.Action.REPOSITORY_CREATE,
        Event.Action.QUOTA_EXCEED, Event.Action.GC_COMPLETE, Event.Action.LOGIN_LOCKOUT, Event.Action.ROLE_DELETE);
    assertThat(ce).hasSize(Event.Action.values().length - 2); // all but pull and ping
  }

  @Test
  void actions_byNameOrGlob_anyFormat() {
    EventFilter f = new EventFilter(List.of(), List.of("repository.*", "PULL", "quota.exceed"), List.of(),
        EventFormat.DISTRIBUTION);
    assertThat(accepted(f, "hosted")).containsExactly(Event.Action.PULL, Event.Action.REPOSITORY_CREATE,
        Event.Action.REPOSITORY_CHANGE, Event.Action.REPOSITORY_DELETE, Event.Action.QUOTA_EXCEED);
    assertThat(accepted(new EventFilter(List.of(), List.of("*"), List.of()), "hosted"))
        .hasSize(Event.Action.values().length - 1);
    assertThat(f.accepts(about(Event.Action.PING, null))).as("a ping is for every endpoint").isTrue();
    assertThatThrownBy(() -> new EventFilter(List.of(), List.of("repository.explode"), List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("repository.explode")
        .hasMessageContaining("login.lockout");
    assertThatThrownBy(() -> new EventFilter(List.of(), List.of("ping"), List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void repositoryFilter_passesOnlyItsRepositories_mediaTypesOnlyArtifacts() {
    EventFilter f = new EventFilter(List.of("team-*"), List.of("*"), List.of("application/x"));
    assertThat(f.accepts(about(Event.Action.REPOSITORY_CREATE, "team-a"))).isTrue();
    assertThat(f.accepts(about(Event.Action.REPOSITORY_CREATE, "other"))).isFalse();
    assertThat(f.accepts(about(Event.Action.LOGIN_FAIL, null))).as("no repository: not for a repository filter")
        .isFalse();
    assertThat(f.accepts(artifact(Event.Action.PUSH, "team-a", "application/x"))).isTrue();
    assertThat(f.accepts(artifact(Event.Action.PUSH, "team-a", "application/y"))).isFalse();
  }

  @Test
  void formats_typeAndSubjectOfEachKind() {
    Event gc = about(Event.Action.GC_COMPLETE, null);
    String ce = new String(EventFormat.CLOUDEVENTS.encode(gc), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(ce).contains("\"type\":\"io.wharf.gc.completed\"").contains("\"subject\":\"default\"")
        .contains("\"store\":\"default\"");
    String dist = new String(EventFormat.DISTRIBUTION.encode(gc), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(dist).contains("\"action\":\"gc.complete\"").contains("\"details\":{\"store\":\"default\"}");
    assertThat(Event.Action.of("login.lockout").cloudEventsType()).isEqualTo("io.wharf.login.lockedout");
    assertThat(Event.Action.of("push").cloudEventsType()).isEqualTo("io.wharf.artifact.pushed");
  }
}
