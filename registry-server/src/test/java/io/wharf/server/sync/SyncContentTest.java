package io.wharf.server.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.HostedRepository;
import io.wharf.proxy.RegistrySource;
import io.wharf.proxy.sync.HostedTarget;
import io.wharf.proxy.sync.NameGlob;
import io.wharf.proxy.sync.PausingSource;
import io.wharf.proxy.sync.SemverRange;
import io.wharf.proxy.sync.SyncContent;
import io.wharf.proxy.sync.SyncReport;
import io.wharf.proxy.sync.SyncRun;
import io.wharf.proxy.sync.SyncSource;
import io.wharf.server.WharfServer;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each filter of a pull rule against a real Wharf server holding 30 tags across 5 names: every
 * test checks the exact set selected.
 */
class SyncContentTest {
  /** name -> its tags, each a small image; team/api's tags are created out of name order. */
  static final Map<String, List<String>> TAGS = Map.of(
      "library/alpine", List.of("3.17", "3.18", "3.19", "3.20", "3.21-rc1", "latest"),
      "library/debian", List.of("11", "12", "bookworm", "bookworm-slim", "bullseye", "latest"),
      "team/app", List.of("v1.0.0", "v1.2.0", "v1.2.5", "v2.0.0", "v2.1.0-rc.1", "main"),
      "team/api", List.of("1.0", "1.1", "1.2", "1.3", "1.4", "1.5"),
      "other/tool", List.of("a", "b", "c", "d", "e", "f"));
  /** When team/api's tags were created: 1.0 last. */
  static final Map<String, String> API_CREATED = Map.of("1.0", "2026-06-01T00:00:00Z", "1.1", "2026-01-01T00:00:00Z",
      "1.2", "2026-02-01T00:00:00Z", "1.3", "2026-03-01T00:00:00Z", "1.4", "2026-04-01T00:00:00Z",
      "1.5", "2026-05-01T00:00:00Z");

  static HostedRepository upstream;
  static WharfServer server;
  static RegistrySource source;

  @BeforeAll
  static void start() throws Exception {
    upstream = HostedRepository.builder("upstream", new InMemoryDriver()).build();
    SourceImages images = new SourceImages(upstream);
    int n = 0;
    for (Map.Entry<String, List<String>> e : TAGS.entrySet()) {
      for (String tag : e.getValue()) {
        Instant created = e.getKey().equals("team/api") ? Instant.parse(API_CREATED.get(tag))
            : Instant.parse("2026-01-01T00:00:00Z").plusSeconds(n++);
        images.image(e.getKey(), tag, "linux/amd64", created, 16);
      }
    }
    server = SyncTestServers.serve(upstream);
    source = SyncTestServers.source(server);
  }

  @AfterAll
  static void stop() throws Exception {
    source.close();
    server.close();
  }

  static SyncContent content(List<String> names, String include, String exclude, String semver, Integer newest,
      String destination, String stripPrefix) {
    return new SyncContent(names.stream().map(NameGlob::of).toList(), include == null ? null : Pattern.compile(include),
        exclude == null ? null : Pattern.compile(exclude), semver == null ? null : SemverRange.parse(semver), newest,
        List.of(), false, destination, stripPrefix);
  }

  static SyncContent names(String... names) {
    return content(Arrays.asList(names), null, null, null, null, null, null);
  }

  static List<String> selected(SyncContent c) throws IOException {
    return c.select(source).stream().map(SyncContent.Selected::toString).sorted().toList();
  }

  static List<String> all(String name, String... tags) {
    return Arrays.stream(tags).map(t -> name + ":" + t).sorted().toList();
  }

  @Test
  void source_holds30TagsAcross5Names() throws IOException {
    assertThat(selected(names("**"))).hasSize(30);
  }

  @Test
  void names_globWithinASegment() throws IOException {
    List<String> expected = new java.util.ArrayList<>(all("team/app", TAGS.get("team/app").toArray(String[]::new)));
    expected.addAll(all("team/api", TAGS.get("team/api").toArray(String[]::new)));
    assertThat(selected(names("team/*"))).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(selected(names("*"))).isEmpty(); // one segment only: every name here has two
  }

  @Test
  void names_literal_needsNoCatalog() throws IOException {
    SyncSource noCatalog = withoutCatalog(source);
    assertThat(names("other/tool").select(noCatalog)).extracting(SyncContent.Selected::toString)
        .containsExactlyInAnyOrderElementsOf(all("other/tool", "a", "b", "c", "d", "e", "f"));
  }

  @Test
  void names_glob_withoutCatalog_saysNamesMustBeLiteral() {
    assertThatThrownBy(() -> names("team/*").select(withoutCatalog(source)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no catalog")
        .hasMessageContaining("team/*");
  }

  @Test
  void tags_includeAndExclude_wholeTag() throws IOException {
    assertThat(selected(content(List.of("library/alpine"), "3\\.\\d+.*", ".*-rc.*", null, null, null, null)))
        .containsExactlyElementsOf(all("library/alpine", "3.17", "3.18", "3.19", "3.20"));
    // whole-tag: "bookworm" does not select "bookworm-slim"
    assertThat(selected(content(List.of("library/debian"), "bookworm", null, null, null, null, null)))
        .containsExactly("library/debian:bookworm");
  }

  @Test
  void tags_semverRange_dropsTagsThatAreNoVersion() throws IOException {
    assertThat(selected(content(List.of("team/app"), null, null, ">=1.2 <2", null, null, null)))
        .containsExactlyElementsOf(all("team/app", "v1.2.0", "v1.2.5"));
    assertThat(selected(content(List.of("team/app"), null, null, "~1.0", null, null, null)))
        .containsExactly("team/app:v1.0.0");
    assertThat(selected(content(List.of("library/alpine"), null, null, ">=3.19", null, null, null)))
        .containsExactlyElementsOf(all("library/alpine", "3.19", "3.20", "3.21-rc1"));
  }

  @Test
  void tags_newest_byCreatedTime_notByName() throws IOException {
    assertThat(selected(content(List.of("team/api"), null, null, null, 2, null, null)))
        .containsExactlyElementsOf(all("team/api", "1.0", "1.5"));
    // after the other filters: the newest 2 of 1.1-1.4
    assertThat(selected(content(List.of("team/api"), "1\\.[1-4]", null, null, 2, null, null)))
        .containsExactlyElementsOf(all("team/api", "1.3", "1.4"));
  }

  @Test
  void destinationAndStripPrefix_nameTheCopies() throws Exception {
    HostedRepository mirror = HostedRepository.builder("mirror", new InMemoryDriver()).build();
    SyncContent c = content(List.of("library/alpine"), "3\\.20", null, null, null, "base", "library");
    assertThat(c.targetName("library/alpine")).isEqualTo("base/alpine");
    assertThat(content(List.of("team/app"), null, null, null, null, "base", "library").targetName("team/app"))
        .isEqualTo("base/team/app"); // the prefix is not there: nothing stripped

    SyncReport report = new SyncReport("test", Instant.now());
    SyncReport.Snapshot done = SyncRun.run(report, List.of(c), source, new HostedTarget(mirror), Clock.systemUTC(),
        PausingSource.Pauser.SLEEP, SyncRun.Listener.NONE);

    assertThat(done.state()).isEqualTo(SyncReport.State.SUCCEEDED);
    assertThat(done.imagesCopied()).isEqualTo(1);
    Optional<Digest> upstreamDigest = upstream.getManifest(ImageName.of("library/alpine"), Tag.of("3.20"))
        .map(io.wharf.core.manifest.Manifest::digest);
    assertThat(mirror.getManifest(ImageName.of("base/alpine"), Tag.of("3.20")).map(io.wharf.core.manifest.Manifest::digest))
        .isPresent().isEqualTo(upstreamDigest);
    assertThat(mirror.catalog(100, null).items()).containsExactly("base/alpine");
  }

  /** {@code s} without a catalog, as Docker Hub. */
  static SyncSource withoutCatalog(SyncSource s) {
    return new DelegatingSource(s) {
      @Override
      public String describe() {
        return "hub-like " + s.describe();
      }

      @Override
      public Optional<List<String>> catalog() {
        return Optional.empty();
      }
    };
  }
}
