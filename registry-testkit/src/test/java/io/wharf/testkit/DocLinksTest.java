package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every relative link of {@code README.md} and the guides in {@code docs/} leads somewhere: the
 * file exists and, for a {@code #fragment} into a Markdown page, that page has the heading.
 * Guides move between pages; this is what keeps their cross-references true.
 */
class DocLinksTest {
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*$");

  @Test
  void everyRelativeLinkOfTheGuides_findsItsFileAndHeading() throws IOException {
    Path root = DocSnippetsTest.projectRoot();
    Map<Path, Set<String>> anchors = new HashMap<>();
    List<String> broken = new ArrayList<>();
    int links = 0;
    for (String guide : DocSnippetsTest.guides(root)) {
      Path page = root.resolve(guide);
      List<String> lines = Files.readAllLines(page);
      boolean inFence = false;
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).stripLeading().startsWith("```")) {
          inFence = !inFence;
        }
        if (inFence) {
          continue;
        }
        Matcher m = LINK.matcher(lines.get(i));
        while (m.find()) {
          String target = m.group(1);
          if (target.matches("^[a-z][a-z0-9+.-]*:.*")) {
            continue; // https:, mailto: ...
          }
          links++;
          int hash = target.indexOf('#');
          String file = hash < 0 ? target : target.substring(0, hash);
          Path to = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
          String where = guide + ":" + (i + 1) + ": " + target;
          if (!Files.exists(to)) {
            broken.add(where + " (no such file)");
          } else if (hash >= 0 && to.toString().endsWith(".md")
              && !anchors.computeIfAbsent(to, DocLinksTest::anchorsOf).contains(target.substring(hash + 1))) {
            broken.add(where + " (no such heading in " + root.relativize(to) + ")");
          }
        }
      }
    }
    assertThat(links).as("relative links found").isGreaterThan(20);
    assertThat(broken).as("links that lead nowhere").isEmpty();
  }

  @Test
  void anchors_areGitHubsSlugsOfTheHeadings() {
    assertThat(anchors(List.of("# Wharf", "### Security: users, roles, login, TLS", "## `wharf gc` (once)",
        "## Install", "## Install", "```", "# not a heading", "```")))
        .containsExactlyInAnyOrder("wharf", "security-users-roles-login-tls", "wharf-gc-once", "install", "install-1");
  }

  private static Set<String> anchorsOf(Path page) {
    try {
      return anchors(Files.readAllLines(page));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** GitHub's anchors: lower case, punctuation but {@code -} and {@code _} dropped, spaces as {@code -}, repeats numbered. */
  static Set<String> anchors(List<String> lines) {
    Set<String> out = new HashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    boolean inFence = false;
    for (String line : lines) {
      if (line.stripLeading().startsWith("```")) {
        inFence = !inFence;
      }
      Matcher h = inFence ? null : HEADING.matcher(line);
      if (h == null || !h.matches()) {
        continue;
      }
      String slug = h.group(1).toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}_\\- ]", "").replace(' ', '-');
      int n = seen.merge(slug, 1, Integer::sum) - 1;
      out.add(n == 0 ? slug : slug + "-" + n);
    }
    return out;
  }
}
