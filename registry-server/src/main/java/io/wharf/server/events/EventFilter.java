package io.wharf.server.events;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which events an endpoint receives: repositories by name or glob ({@code team-*}; matched
 * against the Wharf repository and against {@code <repository>/<image>}), actions, manifest media
 * types. Empty lists mean "all", except that pulls are sent only when {@code actions} names
 * {@code pull}: they are by far the most frequent events and few receivers want them
 * (distribution's users asked for exactly that filter).
 */
public final class EventFilter {
  private final List<Pattern> repositories;
  private final Set<Event.Action> actions;
  private final Set<String> mediaTypes;

  public EventFilter(List<String> repositories, List<String> actions, List<String> mediaTypes) {
    this.repositories = repositories == null ? List.of() : repositories.stream().map(EventFilter::glob).toList();
    Set<Event.Action> a = EnumSet.noneOf(Event.Action.class);
    if (actions == null || actions.isEmpty()) {
      a.addAll(EnumSet.of(Event.Action.PUSH, Event.Action.DELETE, Event.Action.MOUNT));
    } else {
      for (String s : actions) {
        Event.Action action = Event.Action.of(s);
        if (action == null || action == Event.Action.PING) {
          throw new IllegalArgumentException("unknown action " + s + " (push, pull, delete, mount)");
        }
        a.add(action);
      }
    }
    a.add(Event.Action.PING); // a ping is always for the endpoint it tests
    this.actions = Set.copyOf(a);
    this.mediaTypes = mediaTypes == null ? Set.of() : Set.copyOf(mediaTypes);
  }

  /** Everything but pulls. */
  public static EventFilter defaults() {
    return new EventFilter(List.of(), List.of(), List.of());
  }

  public boolean wants(Event.Action action) {
    return actions.contains(action);
  }

  public boolean accepts(Event e) {
    if (!actions.contains(e.action())) {
      return false;
    }
    if (e.action() == Event.Action.PING) {
      return true;
    }
    if (!mediaTypes.isEmpty() && (e.mediaType() == null || !mediaTypes.contains(e.mediaType()))) {
      return false;
    }
    if (repositories.isEmpty()) {
      return true;
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
