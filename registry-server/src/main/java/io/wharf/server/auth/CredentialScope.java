package io.wharf.server.auth;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a robot account or a scoped API token may do: a list of rules, each naming repositories
 * (Wharf repositories, by name or glob), optionally image names within them (globs), and the
 * Docker actions {@code pull}, {@code push}, {@code delete}.
 *
 * <pre>
 * [{"repositories": ["docker-hosted"], "images": ["team/*"], "actions": ["pull", "push"]},
 *  {"repositories": ["docker-*"], "actions": ["pull"]}]
 * </pre>
 *
 * <p>Globs: {@code *} matches any characters but {@code /}, {@code **} any characters at all
 * ({@code team/**} matches {@code team/app} and {@code team/app/cache}). Rules never grant
 * administration. The catalog ({@code /v2/_catalog}) needs {@code pull} on the repository by a
 * rule without {@code images}, as it lists every image name.
 */
public record CredentialScope(@JsonValue List<Rule> rules) {
  private static final Pattern REPOSITORY_GLOB = Pattern.compile("[A-Za-z0-9._*-]{1,128}");
  private static final Pattern IMAGE_GLOB = Pattern.compile("[a-z0-9._/*-]{1,255}");
  private static final Set<String> ACTIONS = Set.of("pull", "push", "delete");

  /**
   * One rule.
   *
   * @param images image names or globs within the repositories; empty: every image
   */
  public record Rule(List<String> repositories, List<String> images, List<String> actions) {
    /**
     * Copies the lists; null stands for an empty list.
     *
     * @param repositories repository names or globs
     * @param images image names or globs within the repositories; empty: every image
     * @param actions {@code pull}, {@code push}, {@code delete}
     */
    public Rule {
      repositories = repositories == null ? List.of() : List.copyOf(repositories);
      images = images == null ? List.of() : List.copyOf(images);
      actions = actions == null ? List.of() : List.copyOf(actions);
    }

    boolean allows(String repository, String image, Action action) {
      if (action.dockerName() == null || !actions.contains(action.dockerName())) {
        return false;
      }
      if (repositories.stream().noneMatch(g -> glob(g).matcher(repository).matches())) {
        return false;
      }
      if (image == null) {
        return images.isEmpty();
      }
      return images.isEmpty() || images.stream().anyMatch(g -> glob(g).matcher(image).matches());
    }
  }

  /**
   * Read from JSON as the array of rules it is written as.
   *
   * @param rules the rules; the scope allows what any of them allows
   */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public CredentialScope {
    rules = rules == null ? List.of() : List.copyOf(rules);
  }

  /**
   * Whether a rule allows {@code action} on {@code image} (null: the catalog) in the repository
   * named {@code repository}.
   *
   * @param repository the repository's name
   * @param image the image name, or null for the catalog
   * @param action the action asked for
   * @return true when some rule names the repository, the image and the action
   */
  public boolean allows(String repository, String image, Action action) {
    return rules.stream().anyMatch(r -> r.allows(repository, image, action));
  }

  /** What is wrong with this scope, as field and message pairs ({@code scope[0].actions}); empty: nothing. */
  List<String[]> problems(String field) {
    List<String[]> out = new ArrayList<>();
    if (rules.isEmpty()) {
      out.add(new String[] {field, "at least one rule is needed: {\"repositories\": [...], \"actions\": [...]}"});
    }
    for (int i = 0; i < rules.size(); i++) {
      Rule r = rules.get(i);
      String f = field + "[" + i + "]";
      if (r.repositories().isEmpty()) {
        out.add(new String[] {f + ".repositories", "missing: repository names or globs such as docker-*"});
      }
      r.repositories().stream().filter(g -> !REPOSITORY_GLOB.matcher(g).matches()).forEach(g -> out.add(
          new String[] {f + ".repositories", "\"" + g + "\" is not a repository name or glob (letters, digits, . _ - *)"}));
      r.images().stream().filter(g -> !IMAGE_GLOB.matcher(g).matches()).forEach(g -> out.add(
          new String[] {f + ".images", "\"" + g + "\" is not an image name or glob (a-z, 0-9, . _ - / *)"}));
      if (r.actions().isEmpty()) {
        out.add(new String[] {f + ".actions", "missing: pull, push and/or delete"});
      }
      r.actions().stream().filter(a -> !ACTIONS.contains(a)).forEach(a -> out.add(
          new String[] {f + ".actions", "unknown action \"" + a + "\"; actions: pull, push, delete"}));
    }
    return out;
  }

  /** A glob as a regular expression: {@code **} any characters, {@code *} any but {@code /}, the rest literal. */
  static Pattern glob(String glob) {
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*') {
        if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
          re.append(".*");
          i++;
        } else {
          re.append("[^/]*");
        }
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString());
  }
}
