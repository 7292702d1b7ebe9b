package io.wharf.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.proxy.sync.SyncContent;
import org.junit.jupiter.api.Test;

/** {@code repositories[].replication}: read with its defaults, and every bad value named by its key. */
class ReplicationConfigTest {
  static final String HEAD = """
      blobStores: {default: {type: memory}}
      credentials:
        - {name: site-push, username: wharfbot, password: s3cret}
      repositories:
        - name: upstream
          type: proxy
          remoteUrl: https://registry-1.docker.io
        - name: releases
          replication:
      """;

  static WharfConfig parse(String rules) {
    return ConfigLoader.parse(HEAD + rules, "test.yaml");
  }

  static void refused(String rules, String... messageParts) {
    var thrown = assertThatThrownBy(() -> parse(rules)).isInstanceOf(ConfigException.class);
    for (String part : messageParts) {
      thrown.hasMessageContaining(part);
    }
  }

  @Test
  void parse_fullRule_readsEveryKey() {
    WharfConfig c = parse("""
            - name: second-site
              target: {url: "https://registry.site-b.example", credentials: site-push}
              schedule: "every 1h"
              onPush: false
              deletes: true
              content:
                - names: ["team/*"]
                  tags: {semver: ">=1.0", exclude: ".*-rc.*"}
                  referrers: true
                  destination: site-a
        """);
    ReplicationConfig.Rule rule = c.repositories().get(1).replication().get(0);
    assertThat(rule.name()).isEqualTo("second-site");
    assertThat(rule.target().url()).isEqualTo("https://registry.site-b.example");
    assertThat(rule.target().credentials()).isEqualTo("site-push");
    assertThat(rule.schedule()).isEqualTo("every 1h");
    assertThat(rule.copiesOnPush()).isFalse();
    assertThat(rule.propagatesDeletes()).isTrue();
    SyncContent content = ReplicationConfig.content(rule).get(0);
    assertThat(content.admits("1.2.0")).isTrue();
    assertThat(content.admits("1.2.0-rc.1")).isFalse();
    assertThat(content.matches("team/app")).isTrue();
    assertThat(content.referrers()).isTrue();
    assertThat(content.targetName("team/app")).isEqualTo("site-a/team/app");
  }

  @Test
  void parse_defaults_copyOnPush_keepDeletes_noRulesElsewhere() {
    WharfConfig c = parse("""
            - {name: r, target: {url: "http://127.0.0.1:5001"}, content: [{names: [app]}]}
        """);
    ReplicationConfig.Rule rule = c.repositories().get(1).replication().get(0);
    assertThat(rule.copiesOnPush()).isTrue();
    assertThat(rule.propagatesDeletes()).isFalse();
    assertThat(rule.schedule()).isNull();
    assertThat(rule.target().credentials()).isNull();
    assertThat(c.repositories().get(0).replication()).isEmpty();
  }

  @Test
  void unknownKey_isNamed() {
    refused("""
            - {name: r, target: {url: "http://x.io", password: p}, content: [{names: [app]}]}
        """, "unknown key \"password\"", "credentials");
    refused("""
            - {name: r, target: {url: "http://x.io"}, onpush: true, content: [{names: [app]}]}
        """, "unknown key \"onpush\"", "onPush");
  }

  @Test
  void badValues_nameTheirKeys() {
    refused("""
            - {target: {url: "http://x.io"}, content: [{names: [app]}]}
        """, "repositories[1] (releases).replication[0].name: missing");
    refused("""
            - {name: "no spaces", target: {url: "http://x.io"}, content: [{names: [app]}]}
        """, "replication[0].name: \"no spaces\" is invalid");
    refused("""
            - {name: r, content: [{names: [app]}]}
        """, "replication[0] (r).target: missing");
    refused("""
            - {name: r, target: {credentials: site-push}, content: [{names: [app]}]}
        """, "replication[0] (r).target.url: missing");
    refused("""
            - {name: r, target: {url: "ftp://x.io"}, content: [{names: [app]}]}
        """, "replication[0] (r).target.url", "not an http(s) URL");
    refused("""
            - {name: r, target: {url: "https://x.io", credentials: nobody}, content: [{names: [app]}]}
        """, "replication[0] (r).target.credentials: no credentials entry named \"nobody\"");
    refused("""
            - {name: r, target: {url: "https://x.io"}, schedule: "at noon", content: [{names: [app]}]}
        """, "replication[0] (r).schedule");
    refused("""
            - {name: r, target: {url: "https://x.io"}}
        """, "replication[0] (r).content: at least one entry");
    refused("""
            - {name: r, target: {url: "https://x.io"}, content: [{names: [app], tags: {semver: ">=banana"}}]}
        """, "replication[0] (r).content[0].tags.semver", "is no version");
    refused("""
            - {name: r, target: {url: "https://x.io"}, content: [{names: [app], destination: "Site/"}]}
        """, "replication[0] (r).content[0].destination");
    refused("""
            - {name: r, target: {url: "https://x.io"}, onPush: maybe, content: [{names: [app]}]}
        """, "onPush");
    refused("""
            - {name: r, target: {url: "https://x.io"}, content: [{names: [a]}]}
            - {name: r, target: {url: "https://y.io"}, content: [{names: [b]}]}
        """, "replication[1] (r).name: duplicate rule name \"r\" in repository releases");
  }

  @Test
  void rules_needAHostedRepository() {
    assertThatThrownBy(() -> ConfigLoader.parse("""
        blobStores: {default: {type: memory}}
        repositories:
          - name: cache
            type: proxy
            remoteUrl: https://x.io
            replication: [{name: r, target: {url: "https://y.io"}, content: [{names: [x]}]}]
        """, "t")).hasMessageContaining("repositories[0] (cache).replication").hasMessageContaining("proxy repository");
  }
}
