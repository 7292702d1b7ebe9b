package io.wharf.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.proxy.sync.SyncContent;
import org.junit.jupiter.api.Test;

/** {@code repositories[].sync} and {@code security.credentials}: read, and every bad value named by its key. */
class SyncConfigTest {
  static final String HEAD = """
      blobStores: {default: {type: memory}}
      security:
        credentials:
          - {name: hub-readonly, username: wharfbot, password: s3cret}
      repositories:
        - name: upstream
        - name: mirror
          sync:
            - name: hub
              source: {url: "https://registry-1.docker.io", index: hub, credentials: hub-readonly}
              schedule: "0 2 * * *"
              content:
      """;

  static WharfConfig parse(String content) {
    return ConfigLoader.parse(HEAD + content, "test.yaml");
  }

  static void refused(String content, String... messageParts) {
    var thrown = assertThatThrownBy(() -> parse(content)).isInstanceOf(ConfigException.class);
    for (String part : messageParts) {
      thrown.hasMessageContaining(part);
    }
  }

  @Test
  void parse_fullRule_readsEveryKey() {
    WharfConfig c = parse("""
                - names: [alpine, "team/*"]
                  tags: {include: "3\\\\.\\\\d+", exclude: ".*-rc.*", semver: ">=3.18 <4", newest: 5}
                  platforms: [linux/amd64, linux/arm64]
                  referrers: true
                  destination: base
                  stripPrefix: library
        """);
    SyncConfig.Rule rule = c.repositories().get(1).sync().get(0);
    assertThat(rule.name()).isEqualTo("hub");
    assertThat(rule.source().credentials()).isEqualTo("hub-readonly");
    SyncContent content = SyncConfig.content(rule.content().get(0), true, "k");
    assertThat(content.names()).extracting(n -> n.text()).containsExactly("library/alpine", "team/*");
    assertThat(content.include().pattern()).isEqualTo("3\\.\\d+");
    assertThat(content.semver().admits("3.19")).isTrue();
    assertThat(content.newest()).isEqualTo(5);
    assertThat(content.platforms()).extracting(Object::toString).containsExactly("linux/amd64", "linux/arm64");
    assertThat(content.referrers()).isTrue();
    assertThat(content.targetName("library/alpine")).isEqualTo("base/alpine");
    assertThat(c.security().credentials()).singleElement().hasToString("Credential[hub-readonly, wharfbot]");
  }

  @Test
  void withSync_replacesThePullRules_andKeepsThePushRules() {
    // the management API adds its pull rules to a repository this way; its push rules must stay
    WharfConfig c = ConfigLoader.parse("""
        blobStores: {default: {type: memory}}
        repositories:
          - name: upstream
          - name: releases
            sync: [{name: pull, source: {repository: upstream}, content: [{names: [a]}]}]
            replication: [{name: push, target: {url: "https://site-b.example"}, content: [{names: [a]}]}]
        """, "test.yaml");
    WharfConfig.Repository releases = c.repositories().get(1);
    SyncConfig.Rule added = releases.sync().get(0).withName("api");

    WharfConfig.Repository changed = releases.withSync(java.util.List.of(releases.sync().get(0), added));

    assertThat(changed.sync()).extracting(SyncConfig.Rule::name).containsExactly("pull", "api");
    assertThat(changed.replication()).extracting(ReplicationConfig.Rule::name).containsExactly("push");
  }

  @Test
  void parse_repositoriesWithoutRules_haveNone() {
    WharfConfig c = parse("""
                - names: [alpine]
        """);
    assertThat(c.repositories().get(0).sync()).isEmpty();
  }

  @Test
  void unknownKey_isNamed() {
    refused("""
                - names: [alpine]
                  tag: {include: "3"}
        """, "unknown key \"tag\"", "tags");
  }

  @Test
  void badValues_nameTheirKeys() {
    refused("""
                - names: [alpine]
                  tags: {include: "3.(("}
        """, "repositories[1] (mirror).sync[0] (hub).content[0].tags.include", "not a regular expression");
    refused("""
                - names: [alpine]
                  tags: {semver: ">=banana"}
        """, "content[0].tags.semver", "\"banana\"", "is no version");
    refused("""
                - names: [alpine]
                  tags: {newest: 0}
        """, "content[0].tags.newest", "not a positive number");
    refused("""
                - names: [alpine]
                  platforms: [amd64]
        """, "content[0].platforms[0]", "os/architecture");
    refused("""
                - names: [alpine]
                  destination: "Base/"
        """, "content[0].destination");
    refused("""
                - names: []
        """, "content[0].names");
    refused("""
                  []
        """, "sync[0] (hub).content", "at least one entry");
  }

  @Test
  void source_mustBeOneOfUrlOrRepository_andReferToWhatExists() {
    String rule = """
        blobStores: {default: {type: memory}}
        security:
          credentials:
            - {name: a, username: u, passwordFile: /run/secrets/a}
        repositories:
          - name: upstream
          - name: mirror
            sync:
              - name: r
                source: %s
                content: [{names: [x]}]
        """;
    assertThatThrownBy(() -> ConfigLoader.parse(rule.formatted("{url: \"https://x.io\", repository: upstream}"), "t"))
        .hasMessageContaining("sync[0] (r).source: give either url or repository");
    assertThatThrownBy(() -> ConfigLoader.parse(rule.formatted("{url: \"https://x.io\", credentials: b}"), "t"))
        .hasMessageContaining("sync[0] (r).source.credentials: no credentials entry named \"b\"");
    assertThatThrownBy(() -> ConfigLoader.parse(rule.formatted("{repository: nowhere}"), "t"))
        .hasMessageContaining("source.repository: no repository named \"nowhere\"");
    assertThatThrownBy(() -> ConfigLoader.parse(rule.formatted("{repository: mirror}"), "t"))
        .hasMessageContaining("into itself");
    assertThatThrownBy(() -> ConfigLoader.parse(rule.formatted("{url: \"ftp://x.io\"}"), "t"))
        .hasMessageContaining("source.url");
    assertThatThrownBy(() -> ConfigLoader.parse(rule.formatted("{url: \"https://x.io\", index: dockerhub}"), "t"))
        .hasMessageContaining("source.index");
    assertThat(ConfigLoader.parse(rule.formatted("{repository: upstream}"), "t").repositories().get(1).sync())
        .hasSize(1);
  }

  @Test
  void schedule_usesTheMaintenanceGrammar() {
    String rule = """
        blobStores: {default: {type: memory}}
        repositories:
          - name: mirror
            sync:
              - {name: r, source: {url: "https://x.io"}, schedule: "%s", content: [{names: [x]}]}
        """;
    assertThat(ConfigLoader.parse(rule.formatted("every 6h"), "t").repositories().get(0).sync()).hasSize(1);
    assertThatThrownBy(() -> ConfigLoader.parse(rule.formatted("at noon"), "t"))
        .hasMessageContaining("sync[0] (r).schedule");
  }

  @Test
  void rules_needAHostedOrProxyRepository_andUniqueNames() {
    assertThatThrownBy(() -> ConfigLoader.parse("""
        blobStores: {default: {type: memory}}
        repositories:
          - name: hosted
          - name: all
            type: group
            members: [hosted]
            sync: [{name: r, source: {url: "https://x.io"}, content: [{names: [x]}]}]
        """, "t")).hasMessageContaining("(all).sync: pull rules write into a hosted repository or warm a proxy's"
            + " cache; all is a group repository");
    assertThatThrownBy(() -> ConfigLoader.parse("""
        blobStores: {default: {type: memory}}
        repositories:
          - name: mirror
            sync:
              - {name: r, source: {url: "https://x.io"}, content: [{names: [x]}]}
              - {name: r, source: {url: "https://y.io"}, content: [{names: [y]}]}
        """, "t")).hasMessageContaining("sync[1] (r).name: duplicate rule name");
  }

  @Test
  void credentials_needAUserAndOneSecret() {
    assertThatThrownBy(() -> ConfigLoader.parse("""
        security:
          credentials: [{name: a, username: u}]
        """, "t")).hasMessageContaining("security.credentials[0] (a): give either password or passwordFile");
    assertThatThrownBy(() -> ConfigLoader.parse("""
        security:
          credentials: [{name: a, password: p}]
        """, "t")).hasMessageContaining("security.credentials[0] (a).username: missing");
  }

  @Test
  void credentials_atTheTopLevel_needNoSecuritySection() {
    WharfConfig c = ConfigLoader.parse("""
        blobStores: {default: {type: memory}}
        credentials:
          - {name: hub, username: wharfbot, password: s3cret}
        repositories:
          - name: mirror
            sync:
              - {name: r, source: {url: "https://x.io", credentials: hub}, content: [{names: [x]}]}
        """, "t");
    assertThat(c.security()).as("the server stays open").isNull();
    assertThat(SyncConfig.credentials(c)).containsOnlyKeys("hub");
    assertThat(SyncConfig.credentials(c).get("hub").key()).isEqualTo("credentials[0]");
    assertThat(c.credentials()).singleElement().hasToString("Credential[hub, wharfbot]");
    assertThatThrownBy(() -> ConfigLoader.parse("""
        credentials: [{name: a, username: u}]
        """, "t")).hasMessageContaining("t: credentials[0] (a): give either password or passwordFile");
    assertThatThrownBy(() -> ConfigLoader.parse("""
        credentials: [{name: "a b", username: u, password: p}]
        """, "t")).hasMessageContaining("credentials[0] (a b).name: \"a b\" is invalid");
  }

  @Test
  void credentials_inBothPlaces_areBothLookedUp_andANameInBothIsAnError() {
    WharfConfig c = ConfigLoader.parse("""
        blobStores: {default: {type: memory}}
        credentials:
          - {name: new, username: u1, password: p1}
        security:
          credentials:
            - {name: old, username: u2, password: p2}
        repositories:
          - name: mirror
            sync:
              - {name: a, source: {url: "https://x.io", credentials: new}, content: [{names: [x]}]}
              - {name: b, source: {url: "https://x.io", credentials: old}, content: [{names: [x]}]}
        """, "t");
    assertThat(SyncConfig.credentials(c)).containsOnlyKeys("new", "old");
    assertThat(SyncConfig.credentials(c).get("old").key()).isEqualTo("security.credentials[0]");
    assertThatThrownBy(() -> ConfigLoader.parse("""
        credentials:
          - {name: hub, username: u1, password: p1}
        security:
          credentials:
            - {name: hub, username: u2, password: p2}
        """, "t")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("security.credentials[0] (hub).name: duplicate credentials name \"hub\", also declared in"
            + " t: credentials[0] (hub); keep it in credentials only");
    assertThatThrownBy(() -> ConfigLoader.parse("""
        credentials:
          - {name: hub, username: u1, password: p1}
          - {name: hub, username: u2, password: p2}
        """, "t")).hasMessageContaining("credentials[1] (hub).name: duplicate credentials name \"hub\"");
  }

  @Test
  void limitsAndDeleteMissing_areRead_andBadValuesNamed() {
    String rule = """
        blobStores: {default: {type: memory}}
        repositories:
          - name: mirror
            sync:
              - {name: r, source: {url: "https://x.io"}, content: [{names: [x]}], %s}
        """;
    SyncConfig.Rule r = ConfigLoader.parse(rule.formatted(
        "limits: {concurrency: 4, bandwidth: 50MB/s}, deleteMissing: true"), "t").repositories().get(0).sync().get(0);
    assertThat(r.options()).isEqualTo(new io.wharf.proxy.sync.SyncRun.Options(4, 50L << 20, true));
    SyncConfig.Rule plain = ConfigLoader.parse(rule.formatted("schedule: every 6h"), "t").repositories().get(0)
        .sync().get(0);
    assertThat(plain.options()).isEqualTo(io.wharf.proxy.sync.SyncRun.Options.DEFAULT);
    assertThatThrownBy(() -> ConfigLoader.parse(rule.formatted("limits: {concurrency: 0}"), "t"))
        .hasMessageContaining("sync[0] (r).limits.concurrency: 0 is not from 1 to 32");
    assertThatThrownBy(() -> ConfigLoader.parse(rule.formatted("limits: {bandwidth: 50MB}"), "t"))
        .hasMessageContaining("sync[0] (r).limits.bandwidth: \"50MB\" is no rate; write a size per second");
    assertThatThrownBy(() -> ConfigLoader.parse(rule.formatted("limits: {bandwidth: fast/s}"), "t"))
        .hasMessageContaining("sync[0] (r).limits.bandwidth: invalid size");
    assertThatThrownBy(() -> ConfigLoader.parse(rule.formatted("limits: {bandwidth: 0/s}"), "t"))
        .hasMessageContaining("sync[0] (r).limits.bandwidth: must be more than 0");
    assertThatThrownBy(() -> ConfigLoader.parse(rule.formatted("limits: {threads: 2}"), "t"))
        .hasMessageContaining("unknown key \"threads\"");
  }

  @Test
  void securityCredentials_warnAtStart_namingTheNewKey() {
    ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
        SyncConfig.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen =
        new ch.qos.logback.core.read.ListAppender<>();
    seen.start();
    log.addAppender(seen);
    try {
      ConfigLoader.parse("""
          credentials: [{name: a, username: u, password: p}]
          """, "t");
      assertThat(seen.list).as("the top-level section alone: no warning").isEmpty();
      ConfigLoader.parse("""
          security:
            credentials: [{name: a, username: u, password: p}]
          """, "t");
      assertThat(seen.list).singleElement().satisfies(e -> {
        assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
        assertThat(e.getFormattedMessage()).contains("security.credentials is deprecated")
            .contains("top-level credentials section").doesNotContain("password: p");
      });
    } finally {
      log.detachAppender(seen);
    }
  }
}
