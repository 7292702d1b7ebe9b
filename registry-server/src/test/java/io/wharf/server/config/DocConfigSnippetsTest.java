package io.wharf.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every {@code ```yaml} block of {@code README.md} and the guides in {@code docs/}, and every
 * file of {@code examples/} ending in {@code .yaml}, is a configuration the server accepts: the
 * guides show keys, and a key renamed or a value refused in code fails this test instead of a
 * reader's start. A block that is YAML but not Wharf's configuration says what it is after the
 * language ({@code ```yaml compose}); only the words in {@link #OTHER_KINDS} are allowed, so a
 * typo cannot exempt a block. A block may name files of the reader's machine (a certificate in
 * {@code /etc/wharf}): the server reads those at start, so "no such file" for an absolute path is
 * accepted, and the checks after it are not reached (security's are the last but sync, lifecycle,
 * management and events).
 */
class DocConfigSnippetsTest {
  private static final Pattern FENCE = Pattern.compile("^(\\s*)```yaml(?:\\s+(\\S+))?\\s*$");
  private static final List<String> OTHER_KINDS = List.of("compose");

  record Block(String where, String kind, String yaml) {}

  @Test
  void everyConfigurationInTheGuidesAndExamples_isAccepted() throws IOException {
    Path root = projectRoot();
    List<Block> blocks = new ArrayList<>();
    for (Path guide : guides(root)) {
      blocks.addAll(blocks(root.relativize(guide).toString(), Files.readAllLines(guide)));
    }
    try (Stream<Path> examples = Files.list(root.resolve("examples"))) {
      examples.filter(p -> p.toString().endsWith(".yaml")).sorted()
          .forEach(p -> blocks.add(new Block(root.relativize(p).toString(), null, read(p))));
    }
    assertThat(blocks).as("yaml blocks and example files").hasSizeGreaterThan(10);
    assertThat(blocks).filteredOn(b -> b.kind() != null && !OTHER_KINDS.contains(b.kind()))
        .as("```yaml blocks of an unknown kind (only ```yaml or ```yaml %s)", OTHER_KINDS).isEmpty();

    List<String> refused = new ArrayList<>();
    for (Block b : blocks) {
      if (b.kind() != null) {
        continue;
      }
      try {
        ConfigLoader.parse(b.yaml(), b.where());
      } catch (ConfigException e) {
        if (!e.getMessage().contains(": no such file: /")) {
          refused.add(e.getMessage());
        }
      }
    }
    assertThat(refused).as("configurations in the guides that the server refuses").isEmpty();
  }

  @Test
  void aRefusedBlock_isNamedByItsGuideAndLine() {
    List<Block> blocks = blocks("GUIDE.md", List.of("# guide", "```yaml", "server: {prot: 5000}", "```",
        "  ```yaml compose", "  services: {}", "  ```"));

    assertThat(blocks).extracting(Block::where, Block::kind).containsExactly(
        tuple("GUIDE.md:3", null), tuple("GUIDE.md:6", "compose"));
    assertThatThrownBy(() -> ConfigLoader.parse(blocks.get(0).yaml(), blocks.get(0).where()))
        .hasMessageStartingWith("GUIDE.md:3: unknown key \"prot\"");
  }

  private static List<Block> blocks(String guide, List<String> lines) {
    List<Block> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      Matcher open = FENCE.matcher(lines.get(i));
      if (!open.matches()) {
        continue;
      }
      String indent = open.group(1);
      int first = i + 2;
      StringBuilder yaml = new StringBuilder();
      for (i++; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
        String l = lines.get(i);
        yaml.append(l.startsWith(indent) ? l.substring(indent.length()) : l.stripLeading()).append('\n');
      }
      out.add(new Block(guide + ":" + first, open.group(2), yaml.toString()));
    }
    return out;
  }

  private static List<Path> guides(Path root) throws IOException {
    List<Path> guides = new ArrayList<>(List.of(root.resolve("README.md")));
    try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(guides::add);
    }
    return guides;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The reactor's root (README.md beside docs/): the module's parent when Surefire runs it. */
  private static Path projectRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !(Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("docs")))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("a directory above the module with README.md and docs/").isNotNull();
    return dir;
  }
}
