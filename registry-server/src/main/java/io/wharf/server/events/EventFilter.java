package io.wharf.server.events;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which events an endpoint receives: repositories by name or glob ({@code team-*}; matched
 * against the Wharf repository and against {@code <repository>/<image>}), actions by name or glob
 * ({@code repository.*}; {@code *} is every action), manifest media types.
 *
 * <p>Empty lists mean "all", with two exceptions. Pulls are sent only when {@code actions} names
 * {@code pull} (or is {@code *}): they are by far the most frequent events and few receivers want
 * them (distribution's users asked for exactly that filter). And an endpoint in distribution's
 * format gets only the artifact actions (push, delete, mount) unless {@code actions} names others:
 * receivers written for distribution know no other events, and must keep working unchanged.
 *
 * <p>A repository filter lets through only events of the repositories it names: events of no
 * repository (logins, users, roles, a blob store's garbage collection) are not for such an
 * endpoint. The media types filter applies to artifact events only.
 */
public final class EventFilter {
  private final List<Pattern> repositories;
  private final Set<Event.Action> actions;
  private final Set<String> mediaTypes;

  /**
   * A filter with distribution's defaults (only artifact actions unless {@code actions} says otherwise).
   *
   * @param repositories repository names or globs; null or empty: every repository
   * @param actions action names or globs; null or empty: the defaults
   * @param mediaTypes manifest media types or globs; null or empty: every one
   * @throws IllegalArgumentException naming an action (or a glob matching none) Wharf does not know
   */
  public EventFilter(List<String> repositories, List<String> actions, List<String> mediaTypes) {
    this(repositories, actions, mediaTypes, EventFormat.DISTRIBUTION);
  }

  /**
   * @param format the endpoint's format: it decides the default actions
   * @throws IllegalArgumentException naming an action (or a glob matching none) Wharf does not know
   * @param repositories repository names or globs; null or empty: every repository
   * @param actions action names or globs; null or empty: the defaults of {@code format}
   * @param mediaTypes manifest media types or globs; null or empty: every one
   */
  public EventFilter(List<String> repositories, List<String> actions, List<String> mediaTypes, EventFormat format) {
    this.repositories = repositories == null ? List.of() : repositories.stream().map(EventFilter::glob).toList();
    Set<Event.Action> a = EnumSet.noneOf(Event.Action.class);
    if (actions == null || actions.isEmpty()) {
      for (Event.Action action : Event.Action.values()) {
        if (action != Event.Action.PULL && (format == EventFormat.CLOUDEVENTS || action.isArtifact())) {
          a.add(action);
        }
      }
    } else {
      for (String s : actions) {
        Set<Event.Action> named = named(s);
        if (named.isEmpty()) {
          throw new IllegalArgumentException("unknown action " + s + " (" + Event.Action.names()
              + "; or a glob such as repository.*)");
        }
        a.addAll(named);
      }
    }
    a.add(Event.Action.PING); // a ping is always for the endpoint it tests
    this.actions = Set.copyOf(a);
    this.mediaTypes = mediaTypes == null ? Set.of() : Set.copyOf(mediaTypes);
  }

  /** The actions {@code name} names: one, or those its glob matches. */
  private static Set<Event.Action> named(String name) {
    Set<Event.Action> out = EnumSet.noneOf(Event.Action.class);
    Pattern p = name == null ? null : glob(name.toLowerCase(java.util.Locale.ROOT));
    for (Event.Action action : Event.Action.values()) {
      if (p != null && action != Event.Action.PING && p.matcher(action.wire()).matches()) {
        out.add(action);
      }
    }
    return out;
  }

  /**
   * Distribution's defaults: push, delete and mount of every repository.
   *
   * @return the filter
   */
  public static EventFilter defaults() {
    return defaults(EventFormat.DISTRIBUTION);
  }

  /**
   * The defaults of an endpoint in {@code format}: see the class comment.
   *
   * @param format the endpoint's format
   * @return the filter
   */
  public static EventFilter defaults(EventFormat format) {
    return new EventFilter(List.of(), List.of(), List.of(), format);
  }

  /**
   * Whether events of {@code action} may pass (the repository and media type are not looked at).
   *
   * @param action the action
   * @return true if the filter names it, or it is a ping
   */
  public boolean wants(Event.Action action) {
    return actions.contains(action);
  }

  boolean accepts(Event e) {
    if (!actions.contains(e.action())) {
      return false;
    }
    if (e.action() == Event.Action.PING) {
      return true;
    }
    if (e.action().isArtifact() && !mediaTypes.isEmpty()
        && (e.mediaType() == null || !mediaTypes.contains(e.mediaType()))) {
      return false;
    }
    if (repositories.isEmpty()) {
      return true;
    }
    if (e.repository() == null) {
      return false;
    }
    String full = e.image() == null ? e.repository() : e.repository() + "/" + e.image();
    for (Pattern p : repositories) {
      if (p.matcher(e.repository()).matches() || p.matcher(full).matches()) {
        return true;
      }
    }
    return false;
  }

  /** {@code *} any run of characters, {@code ?} one; everything else literal. */
  static Pattern glob(String glob) {
    StringBuilder re = new StringBuilder();
    for (char c : glob.toCharArray()) {
      switch (c) {
        case '*' -> re.append(".*");
        case '?' -> re.append('.');
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString());
  }
}
