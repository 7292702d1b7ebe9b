package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles every {@code ```java} block of {@code README.md} and of each guide in {@code docs/} against
 * this module's test classpath (all of Wharf, JUnit, AssertJ, Jib), so the guides cannot drift
 * from the API. The convention, also written in {@code docs/testing.md} ("Code in these
 * guides"):
 *
 * <ul>
 *   <li>A block that starts (after its imports) with a top-level type ({@code class}, {@code
 *       record}, ...) or an annotation on one is a source file. Any other block is a sequence of
 *       statements, compiled in the body of a method that may throw, in a class with a field
 *       {@code TestRegistry registry} (so "registry" in a fragment is the test's registry).
 *   <li>Imports at the top of a block are used as written. Without writing them, a block may use
 *       {@link #IMPLICIT_IMPORTS}: {@code java.net}, {@code java.net.http}, {@code java.nio.file},
 *       {@code java.time}, {@code java.util}, JUnit Jupiter, AssertJ's {@code assertThat} and the
 *       test kit ({@code io.wharf.testkit}). Everything else is imported in the block, so the
 *       reader learns where it lives.
 *   <li>Each block is compiled in a package of its own: it sees only Wharf's public API.
 *   <li>{@code ```java fragment} marks a block that is not meant to compile (say why next to it).
 *       Any other word after {@code java} fails the test, so a typo cannot skip a block.
 * </ul>
 */
class DocSnippetsTest {
  static final List<String> IMPLICIT_IMPORTS = List.of(
      "import io.wharf.testkit.*;",
      "import java.net.*;",
      "import java.net.http.*;",
      "import java.nio.file.*;",
      "import java.time.*;",
      "import java.util.*;",
      "import org.junit.jupiter.api.*;",
      "import org.junit.jupiter.api.extension.*;",
      "import org.junit.jupiter.api.io.*;",
      "import static org.assertj.core.api.Assertions.*;");

  private static final Pattern FENCE = Pattern.compile("^(\\s*)```java(?:\\s+(\\S+))?\\s*$");
  /** How a source file starts: an annotation, or a top-level type. */
  private static final Pattern FILE_START = Pattern.compile("^(?:@\\w.*|(?:public\\s+|final\\s+|abstract\\s+)*(?:class|interface|record|enum)\\s+\\w+.*)$");
  private static final Pattern IMPORT = Pattern.compile("^import\\s+(static\\s+)?[\\w.]+(\\.\\*)?\\s*;\\s*$");

  /** One {@code ```java} block: where it is, and its code without the fence's indentation. */
  record Snippet(String guide, int line, String kind, List<String> code) {
    String where() {
      return guide + ":" + line;
    }
  }

  @Test
  void everyJavaSnippetOfTheGuides_compiles(@TempDir Path classes) throws IOException {
    Path root = projectRoot();
    List<String> guides = guides(root);
    List<Snippet> snippets = new ArrayList<>();
    for (String guide : guides) {
      snippets.addAll(snippets(guide, Files.readAllLines(root.resolve(guide))));
    }
    assertThat(snippets).as("java blocks found in %s", guides).hasSizeGreaterThan(10);
    List<String> unknownKinds = snippets.stream().filter(s -> s.kind() != null && !s.kind().equals("fragment"))
        .map(s -> s.where() + ": ```java " + s.kind() + " (only ```java or ```java fragment)").toList();
    assertThat(unknownKinds).as("blocks of an unknown kind").isEmpty();

    List<Source> sources = new ArrayList<>();
    for (Snippet s : snippets) {
      if (s.kind() == null) {
        sources.add(Source.of(s, "snippet" + sources.size()));
      }
    }
    assertThat(compile(sources, classes)).as("compiler errors in the guides' java blocks").isEmpty();
  }

  /** The checker itself: errors name the guide's line, fragments are skipped, statements see {@code registry}. */
  @Test
  void aBlockThatDoesNotCompile_isReportedAtItsLineInTheGuide(@TempDir Path classes) {
    List<Snippet> snippets = snippets("GUIDE.md", List.of(
        "# A guide",
        "```java",
        "import java.util.List;",
        "",
        "URI url = registry.url();",
        "List<String> names = List.of(1);",
        "```",
        "  ```java",
        "  class Fine {}",
        "  ```",
        "```java fragment",
        "this is not Java",
        "```"));

    assertThat(snippets).extracting(Snippet::line, Snippet::kind)
        .containsExactly(tuple(3, null), tuple(9, null), tuple(12, "fragment"));
    List<String> errors = compile(List.of(Source.of(snippets.get(0), "a"), Source.of(snippets.get(1), "b")), classes);
    assertThat(errors).singleElement().asString()
        .startsWith("GUIDE.md:6: incompatible types")
        .endsWith("List<String> names = List.of(1);");
  }

  /** README.md and every Markdown page of docs/, as paths relative to the project's root. */
  static List<String> guides(Path root) throws IOException {
    List<String> guides = new ArrayList<>(List.of("README.md"));
    try (var docs = Files.list(root.resolve("docs"))) {
      docs.map(p -> "docs/" + p.getFileName()).filter(name -> name.endsWith(".md")).sorted().forEach(guides::add);
    }
    return guides;
  }

  /** The directory with the reactor's README.md: the module's parent when Surefire runs it. */
  static Path projectRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !(Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("docs")))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("a directory above %s with README.md and docs/", Path.of("").toAbsolutePath()).isNotNull();
    return dir;
  }

  static List<Snippet> snippets(String guide, List<String> lines) {
    List<Snippet> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      Matcher open = FENCE.matcher(lines.get(i));
      if (!open.matches()) {
        continue;
      }
      String indent = open.group(1);
      List<String> code = new ArrayList<>();
      int start = i + 2; // 1-based number of the block's first line
      for (i++; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
        String l = lines.get(i);
        code.add(l.startsWith(indent) ? l.substring(indent.length()) : l.stripLeading());
      }
      out.add(new Snippet(guide, start, open.group(2), code));
    }
    return out;
  }

  /** A snippet as a compilation unit, with the guide's line number of each of its lines. */
  static final class Source extends SimpleJavaFileObject {
    final Snippet snippet;
    final List<String> lines;
    final List<Integer> guideLines;

    private Source(Snippet snippet, String pkg, List<String> lines, List<Integer> guideLines) {
      super(URI.create("string:///snippets/" + pkg + "/Snippet.java"), Kind.SOURCE);
      this.snippet = snippet;
      this.lines = lines;
      this.guideLines = guideLines;
    }

    static Source of(Snippet s, String pkg) {
      List<String> lines = new ArrayList<>();
      List<Integer> guideLines = new ArrayList<>();
      lines.add("package snippets." + pkg + ";");
      lines.addAll(IMPLICIT_IMPORTS);
      while (guideLines.size() < lines.size()) {
        guideLines.add(s.line());
      }
      int first = 0; // the block's own imports come first
      for (; first < s.code().size(); first++) {
        String l = s.code().get(first).strip();
        if (IMPORT.matcher(l).matches()) {
          lines.add(l);
          guideLines.add(s.line() + first);
        } else if (!l.isEmpty()) {
          break;
        }
      }
      List<String> body = s.code().subList(first, s.code().size());
      boolean file = !body.isEmpty() && FILE_START.matcher(body.get(0)).matches();
      if (!file) {
        for (String l : List.of("class Snippet {", "  TestRegistry registry;", "  void run() throws Exception {")) {
          lines.add(l);
          guideLines.add(s.line());
        }
      }
      for (int i = 0; i < body.size(); i++) {
        lines.add(body.get(i));
        guideLines.add(s.line() + first + i);
      }
      if (!file) {
        lines.add("  }");
        lines.add("}");
        guideLines.add(s.line() + s.code().size() - 1);
        guideLines.add(s.line() + s.code().size() - 1);
      }
      return new Source(s, pkg, lines, guideLines);
    }

    @Override
    public CharSequence getCharContent(boolean ignoreEncodingErrors) {
      return String.join("\n", lines) + "\n";
    }

    /** "guide:line: message" and the line of code, for a compiler diagnostic in this unit. */
    String describe(Diagnostic<?> d) {
      int i = (int) Math.min(Math.max(d.getLineNumber(), 1), lines.size()) - 1;
      return snippet.guide() + ":" + guideLines.get(i) + ": " + d.getMessage(Locale.ROOT) + "\n    " + lines.get(i).strip();
    }
  }

  /** Compiles the snippets together; returns one message per error, "guide:line: message". */
  static List<String> compile(List<Source> sources, Path classes) {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertThat(javac).as("a JDK's compiler (javax.tools), not a JRE").isNotNull();
    // Surefire runs the tests from a manifest-only jar: the real class path is in its own property.
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    List<String> options = List.of("--release", "17", "-proc:none", "-implicit:none", "-Xlint:none",
        "-classpath", classpath, "-d", classes.toString());
    javac.getTask(null, null, diagnostics, options, null, sources).call();
    List<String> errors = new ArrayList<>();
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      if (d.getKind() != Diagnostic.Kind.ERROR) {
        continue;
      }
      errors.add(d.getSource() instanceof Source s ? s.describe(d) : d.getMessage(Locale.ROOT));
    }
    return errors;
  }
}
