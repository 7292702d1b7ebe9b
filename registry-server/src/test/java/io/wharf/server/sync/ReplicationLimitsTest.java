package io.wharf.server.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.manifest.Manifest;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Repository;
import io.wharf.core.testing.MutableClock;
import io.wharf.proxy.sync.PausingSource;
import io.wharf.proxy.sync.SyncReport;
import io.wharf.proxy.sync.SyncRun;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigException;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.WharfConfig;
import io.wharf.storage.memory.InMemoryDriver;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Push rules' {@code limits} and the target's rate limit: a remote (a real Wharf behind a proxy
 * that answers chosen requests {@code 429} with {@code Retry-After}) pauses a reconcile and a copy
 * on push for as long as it says, and the copy then goes on and lands, digests intact; the
 * bandwidth limit paces the blob bytes; the limits are checked as a pull rule's. The pauser is
 * injected: nothing sleeps.
 */
class ReplicationLimitsTest {
  HostedRepository releases;
  HostedRepository remote;
  WharfServer remoteServer;
  RateLimitingProxy proxy;
  ReplicationService service;
  final List<Duration> pauses = new CopyOnWriteArrayList<>();
  final MutableClock clock = new MutableClock();
  /** Records the wait and moves the clock past it; nothing sleeps. */
  final PausingSource.Pauser pauser = d -> {
    pauses.add(d);
    clock.advance(d);
  };
  Digest app;

  @BeforeEach
  void start() throws Exception {
    releases = HostedRepository.builder("releases", new InMemoryDriver()).build();
    app = new SourceImages(releases).image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"),
        300_000).digest();
    remote = HostedRepository.builder("remote", new InMemoryDriver()).build();
    remoteServer = SyncTestServers.serve(remote);
    proxy = RateLimitingProxy.start(remoteServer.url().toString());
  }

  @AfterEach
  void stop() throws Exception {
    if (service != null) {
      service.close();
    }
    proxy.close();
    remoteServer.close();
  }

  static WharfConfig config(String rule) {
    return ConfigLoader.parse("""
        server: {bind: 127.0.0.1, port: 0}
        blobStores: {default: {type: memory}}
        repositories:
          - name: releases
            replication:
              - RULE
        """.replace("RULE", rule), "replication-limits.yaml");
  }

  ReplicationService service(String rule) {
    WharfConfig c = config(rule);
    service = new ReplicationService(() -> c, name -> name.equals("releases") ? Optional.<Repository>of(releases)
        : Optional.empty(), clock, pauser);
    return service.start();
  }

  Optional<Digest> remoteTag(String image, String tag) throws Exception {
    return remote.getManifest(ImageName.of(image), Tag.of(tag)).map(Manifest::digest);
  }

  /** The remote refuses the first HEAD of the tag, the first upload start and the first manifest PUT. */
  void limitEachKindOnce() {
    proxy.limit("HEAD", "/v2/.*/manifests/1\\.0", 1, "7");
    proxy.limit("POST", "/v2/.*/blobs/uploads/", 1, "7");
    proxy.limit("PUT", "/v2/.*/manifests/1\\.0", 1, "7");
  }

  @Test
  void reconcile_pausesForTheTargetsRetryAfter_andGoesOn() throws Exception {
    limitEachKindOnce();
    service("{name: dr, target: {url: \"" + proxy.url() + "\"}, onPush: false, content: [{names: [\"team/*\"]}]}");

    service.run("releases", "dr");
    assertThat(service.awaitIdle("releases", "dr", Duration.ofMinutes(2))).isTrue();

    SyncReport.Snapshot last = service.rule("releases", "dr").last();
    assertThat(last.state()).as(String.valueOf(last)).isEqualTo(SyncReport.State.SUCCEEDED);
    assertThat(last.imagesCopied()).isEqualTo(1);
    assertThat(last.pauses()).isEqualTo(3);
    assertThat(pauses).containsExactly(Duration.ofSeconds(7), Duration.ofSeconds(7), Duration.ofSeconds(7));
    assertThat(proxy.refused).hasSize(3);
    assertThat(remoteTag("team/app", "1.0")).contains(app);
  }

  @Test
  void copyOnPush_pausesForTheTargetsRetryAfter_andLands() throws Exception {
    limitEachKindOnce();
    service("{name: dr, target: {url: \"" + proxy.url() + "\"}, content: [{names: [\"team/*\"]}]}");

    service.changed("releases", "team/app");
    assertThat(service.awaitIdle("releases", "dr", Duration.ofMinutes(2))).isTrue();

    ReplicationService.OnPush pushes = service.rule("releases", "dr").pushes();
    assertThat(pushes.failed()).as(String.valueOf(pushes)).isZero();
    assertThat(pushes.imagesCopied()).isEqualTo(1);
    assertThat(pauses).containsExactly(Duration.ofSeconds(7), Duration.ofSeconds(7), Duration.ofSeconds(7));
    assertThat(remoteTag("team/app", "1.0")).contains(app);
  }

  @Test
  void aTargetThatNeverLetsUpIn_failsTheImage_afterItsPauses() throws Exception {
    proxy.limit("PUT", "/v2/.*/manifests/1\\.0", 1000, "1");
    service("{name: dr, target: {url: \"" + proxy.url() + "\"}, onPush: false, content: [{names: [\"team/*\"]}]}");

    service.run("releases", "dr");
    assertThat(service.awaitIdle("releases", "dr", Duration.ofMinutes(2))).isTrue();

    SyncReport.Snapshot last = service.rule("releases", "dr").last();
    assertThat(last.imagesFailed()).as(String.valueOf(last)).isEqualTo(1);
    assertThat(last.failures().get(0).reason()).contains("still rate-limits after 20 pauses");
    assertThat(pauses).hasSize(20).allMatch(d -> d.equals(Duration.ofSeconds(1)));
    assertThat(remoteTag("team/app", "1.0")).isEmpty();
  }

  @Test
  void limits_bandwidthPacesTheBlobBytes_andConcurrencyIsTheRulesOwn() throws Exception {
    service("{name: dr, target: {url: \"" + proxy.url() + "\"}, onPush: false, limits: {concurrency: 3,"
        + " bandwidth: 100KB/s}, content: [{names: [\"team/*\"]}]}");
    assertThat(config("{name: dr, target: {url: \"" + proxy.url() + "\"}, limits: {concurrency: 3, bandwidth:"
        + " 100KB/s}, content: [{names: [\"team/*\"]}]}").repositories().get(0).replication().get(0).options())
        .isEqualTo(new SyncRun.Options(3, 100 * 1024, false));
    assertThat(config("{name: dr, target: {url: \"" + proxy.url() + "\"}, content: [{names: [\"team/*\"]}]}")
        .repositories().get(0).replication().get(0).options()).as("without limits: one at a time, no rate limit")
        .isEqualTo(new SyncRun.Options(1, 0, false));

    service.run("releases", "dr");
    assertThat(service.awaitIdle("releases", "dr", Duration.ofMinutes(2))).isTrue();

    SyncReport.Snapshot last = service.rule("releases", "dr").last();
    assertThat(last.state()).as(String.valueOf(last)).isEqualTo(SyncReport.State.SUCCEEDED);
    // ~300 KB of blobs at 100 KB/s: the waits asked for add up to about three seconds (the clock
    // moves only by them)
    double waited = pauses.stream().mapToLong(Duration::toMillis).sum() / 1000.0;
    assertThat(waited).as(pauses.toString()).isBetween(2.5, 3.2);
    assertThat(last.pauses()).as("bandwidth waits are no rate-limit pauses").isZero();
    assertThat(remoteTag("team/app", "1.0")).contains(app);
  }

  @Test
  void badLimits_areRefusedNamingTheKey() {
    assertThatThrownBy(() -> config("{name: dr, target: {url: \"http://r.example\"}, limits: {concurrency: 0},"
        + " content: [{names: [\"team/*\"]}]}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("repositories[0] (releases).replication[0] (dr).limits.concurrency: 0 is not from 1 to 32");
    assertThatThrownBy(() -> config("{name: dr, target: {url: \"http://r.example\"}, limits: {bandwidth: lots},"
        + " content: [{names: [\"team/*\"]}]}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("replication[0] (dr).limits.bandwidth: \"lots\" is no rate");
  }
}
