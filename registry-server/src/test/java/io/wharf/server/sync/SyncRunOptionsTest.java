package io.wharf.server.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.testing.MutableClock;
import io.wharf.proxy.sync.Bandwidth;
import io.wharf.proxy.sync.HostedTarget;
import io.wharf.proxy.sync.NameGlob;
import io.wharf.proxy.sync.PausingSource;
import io.wharf.proxy.sync.RepositorySource;
import io.wharf.proxy.sync.SyncContent;
import io.wharf.proxy.sync.SyncReport;
import io.wharf.proxy.sync.SyncRun;
import io.wharf.proxy.sync.SyncSource;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A run's options ({@code limits}, {@code deleteMissing}) between two hosted repositories, without
 * waiting on time: parallel copies meet at a source that blocks until N fetches are in flight; the
 * bandwidth limit asks an injected pauser (whose waits move an injected clock) for the right total;
 * {@code deleteMissing} deletes what the source no longer lists, and nothing when its listing
 * failed, was empty or did not know the name.
 */
class SyncRunOptionsTest {
  HostedRepository upstream;
  HostedRepository mirror;
  SourceImages images;

  @BeforeEach
  void repositories() {
    upstream = HostedRepository.builder("upstream", new InMemoryDriver()).build();
    mirror = HostedRepository.builder("mirror", new InMemoryDriver()).build();
    images = new SourceImages(upstream);
  }

  static SyncContent content(String name, String include) {
    return new SyncContent(List.of(NameGlob.of(name)), include == null ? null : Pattern.compile(include), null, null,
        null, List.of(), false, null, null);
  }

  SyncReport.Snapshot run(SyncSource source, SyncRun.Options options, SyncContent... content) {
    return SyncRun.run(new SyncReport("test", Instant.now()), List.of(content), source, new HostedTarget(mirror),
        Clock.systemUTC(), PausingSource.Pauser.SLEEP, SyncRun.Listener.NONE, options);
  }

  List<String> mirrorTags(String name) throws IOException {
    return mirror.listTags(ImageName.of(name), -1, null).items();
  }

  @Test
  void concurrency_copiesNImagesAtOnce_andNoMore() throws Exception {
    for (int i = 1; i <= 6; i++) {
      images.image("team/app", "v" + i, "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 100 + i);
    }
    int n = 3;
    CountDownLatch allIn = new CountDownLatch(n);
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    SyncSource blocking = new DelegatingSource(new RepositorySource(upstream)) {
      @Override
      public Optional<SourceManifest> manifest(String name, String reference) throws IOException {
        most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        try {
          allIn.countDown();
          // the first n fetches go on only together: a run copying fewer at once never gets past here
          if (!allIn.await(2, TimeUnit.MINUTES)) {
            throw new IOException("only " + (n - allIn.getCount()) + " fetches were in flight at once");
          }
          return super.manifest(name, reference);
        } catch (InterruptedException e) {
          throw new java.io.InterruptedIOException();
        } finally {
          inFlight.decrementAndGet();
        }
      }
    };

    SyncReport.Snapshot done = run(blocking, new SyncRun.Options(n, 0, false), content("team/app", null));

    assertThat(done.state()).as(done.toString()).isEqualTo(SyncReport.State.SUCCEEDED);
    assertThat(done.imagesCopied()).isEqualTo(6);
    assertThat(most.get()).isEqualTo(n);
    assertThat(mirrorTags("team/app")).containsExactlyInAnyOrder("v1", "v2", "v3", "v4", "v5", "v6");
  }

  @Test
  void concurrency_aLaterEntryThatCannotBeListed_letsTheCopiesStartedFinish() throws Exception {
    for (int i = 1; i <= 4; i++) {
      images.image("team/app", "v" + i, "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 100 + i);
    }
    SyncSource noCatalog = new DelegatingSource(new RepositorySource(upstream)) {
      @Override
      public Optional<List<String>> catalog() {
        return Optional.empty();
      }
    };

    SyncReport.Snapshot done = run(noCatalog, new SyncRun.Options(2, 0, false), content("team/app", null),
        content("other/*", null));

    assertThat(done.state()).isEqualTo(SyncReport.State.FAILED);
    assertThat(done.error()).contains("has no catalog");
    assertThat(done.imagesCopied()).isEqualTo(4);
    assertThat(mirrorTags("team/app")).containsExactlyInAnyOrder("v1", "v2", "v3", "v4");
  }

  /** A clock that only moves when the pauser waits, recording the waits. */
  static final class FakeTime {
    final MutableClock clock = new MutableClock(Instant.parse("2026-12-03T00:00:00Z"));
    final List<Duration> waits = new ArrayList<>();

    final PausingSource.Pauser pauser = d -> {
      synchronized (this) {
        waits.add(d);
        clock.advance(d);
      }
    };

    synchronized Duration total() {
      return waits.stream().reduce(Duration.ZERO, Duration::plus);
    }
  }

  @Test
  void bandwidth_asksToWaitWhatTheRunsBytesTakeAtTheRate() throws Exception {
    images.image("team/app", "1", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 300_000, 50_000);
    images.image("team/app", "2", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 120_000);
    FakeTime time = new FakeTime();

    SyncReport.Snapshot done = SyncRun.run(new SyncReport("test", time.clock.instant()), List.of(content("team/app", null)),
        new RepositorySource(upstream), new HostedTarget(mirror), time.clock, time.pauser, SyncRun.Listener.NONE,
        new SyncRun.Options(1, 10_000, false));

    assertThat(done.state()).as(done.toString()).isEqualTo(SyncReport.State.SUCCEEDED);
    assertThat(done.bytesCopied()).isGreaterThan(470_000);
    // 10 000 bytes a second: each byte is 100 µs
    assertThat(time.total()).isEqualTo(Duration.ofNanos(done.bytesCopied() * 100_000));
    assertThat(time.waits).allSatisfy(w -> assertThat(w).isLessThanOrEqualTo(Duration.ofMillis(6554)));
  }

  @Test
  void bandwidth_isSharedByTheStreamsOfARun_inConstantMemory() throws Exception {
    FakeTime time = new FakeTime();
    Bandwidth limit = new Bandwidth(1_000_000, time.clock, time.pauser);
    InputStream a = limit.limit(new ByteArrayInputStream(new byte[3_000_000]));
    InputStream b = limit.limit(new ByteArrayInputStream(new byte[1_000_000]));
    byte[] buffer = new byte[4_000_000];
    long read = 0;
    int most = 0;
    boolean aDone = false;
    boolean bDone = false;
    while (!aDone || !bDone) { // the two streams take turns, as parallel copies would
      int n = aDone ? -1 : a.read(buffer, 0, buffer.length);
      int m = bDone ? -1 : b.read(buffer, 0, buffer.length);
      aDone = n < 0;
      bDone = m < 0;
      most = Math.max(most, Math.max(n, m));
      read += Math.max(n, 0) + Math.max(m, 0);
    }

    assertThat(read).isEqualTo(4_000_000);
    assertThat(most).as("reads are cut into chunks, whatever the buffer").isLessThanOrEqualTo(64 * 1024);
    assertThat(time.total()).as("4 MB together at 1 MB/s").isEqualTo(Duration.ofSeconds(4));
  }

  @Test
  void deleteMissing_deletesTheTagsTheSourceNoLongerHas_withinTheRulesTags() throws Exception {
    for (String tag : List.of("1", "2", "3")) {
      images.image("team/app", tag, "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 100);
    }
    SyncContent digits = content("team/app", "\\d+");
    SyncRun.Options delete = new SyncRun.Options(1, 0, true);
    assertThat(run(new RepositorySource(upstream), delete, digits).imagesCopied()).isEqualTo(3);
    // a tag of the mirror's own, outside the rule's tags
    io.wharf.core.manifest.Manifest one = mirror.getManifest(ImageName.of("team/app"), Tag.of("1")).orElseThrow();
    mirror.putManifest(ImageName.of("team/app"), Tag.of("local"), one.mediaType(), one.bytes(), java.util.Set.of());
    upstream.deleteManifest(ImageName.of("team/app"), Tag.of("2"));

    SyncReport.Snapshot done = run(new RepositorySource(upstream), delete, digits);

    assertThat(done.state()).as(done.toString()).isEqualTo(SyncReport.State.SUCCEEDED);
    assertThat(done.tagsDeleted()).isEqualTo(1);
    assertThat(done.deleted()).containsExactly("team/app:2");
    assertThat(mirrorTags("team/app")).containsExactlyInAnyOrder("1", "3", "local");
  }

  @Test
  void deleteMissing_deletesNothing_whenTheListingFailed_wasEmpty_orDidNotKnowTheName() throws Exception {
    images.image("team/app", "1", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 100);
    SyncRun.Options delete = new SyncRun.Options(1, 0, true);
    assertThat(run(new RepositorySource(upstream), delete, content("team/app", null)).imagesCopied()).isEqualTo(1);

    SyncSource failing = new DelegatingSource(new RepositorySource(upstream)) {
      @Override
      public Optional<List<String>> tags(String name) throws IOException {
        throw new IOException("upstream answered 500");
      }
    };
    SyncReport.Snapshot done = run(failing, delete, content("team/app", null));
    assertThat(done.state()).isEqualTo(SyncReport.State.FAILED);
    assertThat(done.tagsDeleted()).isZero();

    SyncSource empty = new DelegatingSource(new RepositorySource(upstream)) {
      @Override
      public Optional<List<String>> tags(String name) {
        return Optional.of(List.of());
      }
    };
    done = run(empty, delete, content("team/app", null));
    assertThat(done.state()).isEqualTo(SyncReport.State.SUCCEEDED);
    assertThat(done.tagsDeleted()).isZero();

    SyncSource unknown = new DelegatingSource(new RepositorySource(upstream)) {
      @Override
      public Optional<List<String>> tags(String name) {
        return Optional.empty();
      }
    };
    done = run(unknown, delete, content("team/app", null));
    assertThat(done.tagsDeleted()).isZero();

    // without deleteMissing, a tag gone at the source stays
    images.image("team/app", "2", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 100);
    run(new RepositorySource(upstream), SyncRun.Options.DEFAULT, content("team/app", null));
    upstream.deleteManifest(ImageName.of("team/app"), Tag.of("1"));
    done = run(new RepositorySource(upstream), SyncRun.Options.DEFAULT, content("team/app", null));
    assertThat(done.tagsDeleted()).isZero();
    assertThat(mirrorTags("team/app")).containsExactlyInAnyOrder("1", "2");
  }
}
