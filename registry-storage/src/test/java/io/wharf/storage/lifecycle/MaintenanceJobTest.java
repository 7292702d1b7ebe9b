package io.wharf.storage.lifecycle;

import static io.wharf.core.lifecycle.MaintenanceJob.step;
import static io.wharf.storage.gc.Images.assertPullsIntact;
import static io.wharf.storage.gc.Images.pushImage;
import static io.wharf.storage.gc.Images.random;
import static io.wharf.storage.gc.Images.upload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.gc.GcLease;
import io.wharf.core.lifecycle.CleanupJob;
import io.wharf.core.lifecycle.CleanupPolicy;
import io.wharf.core.lifecycle.MaintenanceJob;
import io.wharf.core.lifecycle.MaintenanceReport;
import io.wharf.core.lifecycle.MaintenanceScheduler;
import io.wharf.core.lifecycle.Schedule;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import io.wharf.core.testing.ForwardingDriver;
import io.wharf.storage.fs.FilesystemDriver;
import io.wharf.storage.gc.Images;
import io.wharf.storage.gc.Images.Pushed;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A blob store's maintenance job (policies, then GC, under one lease) and its scheduler, on the filesystem. */
@Timeout(300) // a hang, not slowness: on a loaded machine the stress test alone may take a minute
class MaintenanceJobTest {
  static final ImageName APP = ImageName.of("team/app");
  /** Two hours on: everything written now is past the default grace period and link window. */
  static final Clock LATER = Clock.offset(Clock.systemUTC(), Duration.ofHours(2));

  @TempDir
  Path dir;

  StorageDriver driver;
  HostedRepository repo;
  final Random rnd = new Random(11);

  @BeforeEach
  void setUp() {
    driver = new FilesystemDriver(dir);
    repo = HostedRepository.builder("hosted", driver).metadataCacheTtl(Duration.ZERO).build();
  }

  MaintenanceJob.Builder job() {
    return MaintenanceJob.builder("default", driver).clock(LATER).lease(Duration.ofMinutes(1), Duration.ofMillis(50));
  }

  MaintenanceJob.Step keepLatest(int n) {
    return step("cleanup of hosted", dryRun -> CleanupJob.builder(driver, new CleanupPolicy(n, null, null, null, null))
        .dryRun(dryRun).clock(LATER).build().run());
  }

  Pushed push(String tag) throws Exception {
    Pushed p = pushImage(repo, APP, tag, List.of(random(rnd, 700)), rnd);
    Thread.sleep(20); // distinct push times for keepLatest
    return p;
  }

  @Test
  void run_cleanupThenGc_reclaimsTheDeletedTagsBlobs_andReleasesTheLease() throws Exception {
    Pushed old = push("1.0");
    push("2.0");
    Digest orphan = upload(repo, APP, random(rnd, 1234));
    AtomicInteger afterRuns = new AtomicInteger();

    MaintenanceReport report = job().step(keepLatest(1)).afterRun(afterRuns::incrementAndGet).build().run(false);

    assertThat(report.succeeded()).as(report.toString()).isTrue();
    assertThat(report.steps()).extracting(MaintenanceReport.StepReport::name).containsExactly("cleanup of hosted");
    assertThat(report.steps().get(0).summary()).contains("tags deleted 1");
    assertThat(report.steps().get(0).sample()).containsExactly("team/app:1.0");
    assertThat(report.gc()).isNotNull();
    assertThat(report.gc().blobsDeleted()).isEqualTo(1 + old.blobs().size()); // the orphan, the old tag's manifest, config, layer
    assertThat(repo.listTags(APP, 100, null).items()).containsExactly("2.0");
    assertThat(repo.getBlob(APP, orphan)).isEmpty();
    for (Digest d : old.blobs()) {
      assertThat(repo.getBlob(APP, d)).as("blob of the deleted tag %s", d).isEmpty();
    }
    io.wharf.storage.gc.Images.assertPullsIntact(repo, APP, Tag.of("2.0"));
    assertThat(GcLease.read(driver)).as("lease released").isEmpty();
    assertThat(afterRuns).hasValue(1);
  }

  @Test
  void dryRun_changesNothing_andSkipsTheAfterRunHooks() throws Exception {
    push("1.0");
    push("2.0");
    Digest orphan = upload(repo, APP, random(rnd, 99));
    AtomicInteger afterRuns = new AtomicInteger();

    MaintenanceReport report = job().step(keepLatest(1)).afterRun(afterRuns::incrementAndGet).build().run(true);

    assertThat(report.dryRun()).isTrue();
    assertThat(report.steps().get(0).sample()).containsExactly("team/app:1.0");
    assertThat(report.toString()).contains("would remove team/app:1.0");
    assertThat(report.gc().dryRun()).isTrue();
    assertThat(report.gc().deletedSample()).contains(orphan.value());
    assertThat(repo.listTags(APP, 100, null).items()).containsExactly("1.0", "2.0");
    assertThat(repo.getBlob(APP, orphan)).isPresent();
    assertThat(afterRuns).hasValue(0);
  }

  @Test
  void aFailingStep_stopsTheRun_beforeTheCollection_andSaysWhich() throws Exception {
    Digest orphan = upload(repo, APP, random(rnd, 99));
    MaintenanceReport report = job()
        .step(step("broken step", dryRun -> {
          throw new IOException("disk on fire");
        }))
        .build().run(false);

    assertThat(report.succeeded()).isFalse();
    assertThat(report.error()).contains("broken step").contains("disk on fire");
    assertThat(report.gc()).isNull();
    assertThat(repo.getBlob(APP, orphan)).isPresent();
    assertThat(GcLease.read(driver)).isEmpty();
  }

  @Test
  void twoNodes_startingTogether_onlyOneRuns_theOtherReportsSkipped() throws Exception {
    CountDownLatch inStep = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger stepRuns = new AtomicInteger();
    MaintenanceJob.Step slow = step("slow step", dryRun -> {
      stepRuns.incrementAndGet();
      inStep.countDown();
      try {
        release.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "done";
    });
    // two nodes: two jobs (each its own owner) on the same storage
    MaintenanceJob nodeA = job().step(slow).gc(false).build();
    MaintenanceJob nodeB = job().step(slow).gc(false).build();

    CompletableFuture<MaintenanceReport> a = CompletableFuture.supplyAsync(() -> nodeA.run(false));
    assertThat(inStep.await(60, TimeUnit.SECONDS)).isTrue();
    MaintenanceReport b = nodeB.run(false);
    release.countDown();

    assertThat(b.skipped()).as(b.toString()).isNotNull().contains("holds the lease");
    assertThat(b.steps()).isEmpty();
    assertThat(a.get(60, TimeUnit.SECONDS).succeeded()).isTrue();
    assertThat(stepRuns).hasValue(1);
    // once A is done, B's next run goes ahead
    assertThat(nodeB.run(false).succeeded()).isTrue();
    assertThat(stepRuns).hasValue(2);
  }

  @Test
  void twoNodes_racingForTheLease_neverBothRun() throws Exception {
    AtomicInteger concurrent = new AtomicInteger();
    AtomicInteger maxConcurrent = new AtomicInteger();
    MaintenanceJob.Step probe = step("probe", dryRun -> {
      maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
      try {
        Thread.sleep(150);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      concurrent.decrementAndGet();
      return "ok";
    });
    // The settle must outlast the time between a node's read of the lease and its write, which on a
    // loaded machine is a scheduling delay: a second, not the few ms it takes when idle.
    MaintenanceJob nodeA = job().lease(Duration.ofMinutes(1), Duration.ofSeconds(1)).step(probe).gc(false).build();
    MaintenanceJob nodeB = job().lease(Duration.ofMinutes(1), Duration.ofSeconds(1)).step(probe).gc(false).build();
    for (int round = 0; round < 5; round++) {
      CountDownLatch go = new CountDownLatch(1);
      CompletableFuture<MaintenanceReport> a = CompletableFuture.supplyAsync(() -> await(go, nodeA));
      CompletableFuture<MaintenanceReport> b = CompletableFuture.supplyAsync(() -> await(go, nodeB));
      go.countDown();
      List<MaintenanceReport> both = List.of(a.get(60, TimeUnit.SECONDS), b.get(60, TimeUnit.SECONDS));
      assertThat(both.stream().filter(MaintenanceReport::succeeded).count()).as("round %d: %s", round, both)
          .isLessThanOrEqualTo(1);
    }
    assertThat(maxConcurrent).hasValue(1);
  }

  private static MaintenanceReport await(CountDownLatch go, MaintenanceJob job) {
    try {
      go.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return job.run(false);
  }

  @Test
  void stop_endsTheRunBeforeItsNextStep_andTheCollection_idleStopIsRefused() throws Exception {
    Digest orphan = upload(repo, APP, random(rnd, 99));
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean secondRan = new AtomicBoolean();
    MaintenanceJob job = job()
        .step(step("slow", dryRun -> {
          started.countDown();
          try {
            release.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return "done";
        }))
        .step(step("second", dryRun -> secondRan.getAndSet(true)))
        .build();
    try (MaintenanceScheduler scheduler = new MaintenanceScheduler(
        List.of(new MaintenanceScheduler.Entry(job, null, false)))) {
      List<MaintenanceReport> heard = Collections.synchronizedList(new ArrayList<>());
      scheduler.onReport(heard::add);
      assertThat(scheduler.stop("default")).as("nothing runs yet").isFalse();
      CompletableFuture<MaintenanceReport> run = scheduler.runNow("default", false).orElseThrow();
      assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();
      assertThat(scheduler.stop("default")).isTrue();
      release.countDown();
      MaintenanceReport report = run.get(60, TimeUnit.SECONDS);
      // a finished run's future completes after its report is recorded and heard, not before
      assertThat(heard).containsExactly(report);
      assertThat(scheduler.status().get(0).last()).isSameAs(report);
      assertThat(scheduler.running("default")).isFalse();

      assertThat(report.stopped()).isTrue();
      assertThat(report.succeeded()).isFalse();
      assertThat(report.error()).startsWith(MaintenanceJob.STOPPED).contains("second");
      assertThat(report.steps()).extracting(MaintenanceReport.StepReport::name).containsExactly("slow");
      assertThat(secondRan).isFalse();
      assertThat(report.gc()).isNull();
      assertThat(repo.getBlob(APP, orphan)).as("no collection ran").isPresent();
      assertThat(GcLease.read(driver)).isEmpty();

      // the request does not outlive its run: the next one runs through
      MaintenanceReport next = scheduler.runNow("default", false).orElseThrow().get(60, TimeUnit.SECONDS);
      assertThat(next.succeeded()).as("%s", next).isTrue();
      assertThat(secondRan).isTrue();
      assertThat(repo.getBlob(APP, orphan)).isEmpty();
    }
  }

  @Test
  void scheduler_runsTheJobOnItsSchedule_andOnDemand_joiningARunInProgress() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    MaintenanceJob scheduled = job().gc(false).step(step("count", dryRun -> runs.incrementAndGet())).build();
    MaintenanceJob onDemand = MaintenanceJob.builder("other", new FilesystemDriver(dir.resolve("other")))
        .lease(Duration.ofMinutes(1), Duration.ZERO).gc(false)
        .step(step("wait", dryRun -> {
          try {
            release.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return "released";
        })).build();
    try (MaintenanceScheduler scheduler = new MaintenanceScheduler(List.of(
        new MaintenanceScheduler.Entry(scheduled, Schedule.every(Duration.ofMillis(100)), false),
        new MaintenanceScheduler.Entry(onDemand, null, false))).start()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (runs.get() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(runs.get()).as("scheduled runs").isGreaterThanOrEqualTo(3);

      CompletableFuture<MaintenanceReport> first = scheduler.runNow("other", false).orElseThrow();
      CompletableFuture<MaintenanceReport> same = scheduler.runNow("other", false).orElseThrow();
      assertThat(same).as("the same kind of run joins the one in progress").isSameAs(first);
      CompletableFuture<MaintenanceReport> dry = scheduler.runNow("other", true).orElseThrow();
      assertThat(dry).as("a dry run asked for meanwhile comes after it").isNotSameAs(first);
      assertThat(scheduler.running("other")).isTrue();
      release.countDown();
      assertThat(first.get(60, TimeUnit.SECONDS).dryRun()).isFalse();
      assertThat(first.get().steps().get(0).summary()).isEqualTo("released");
      assertThat(dry.get(60, TimeUnit.SECONDS).dryRun()).isTrue();
      MaintenanceScheduler.Status status = scheduler.status().stream().filter(s -> s.store().equals("other"))
          .findFirst().orElseThrow();
      assertThat(status.last()).isNotNull();
      assertThat(status.schedule()).isNull();
      assertThat(scheduler.runNow("nope", false)).isEmpty();
    }
  }

  @Test
  void scheduler_replace_aRunInProgressFinishesWithTheOldJob_theNextUsesTheNew() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    MaintenanceJob old = job().gc(false).step(step("old step", dryRun -> {
      try {
        release.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "old";
    })).build();
    MaintenanceJob replacement = job().gc(false).step(step("new step", dryRun -> "new")).build();
    try (MaintenanceScheduler scheduler = new MaintenanceScheduler(List.of(
        new MaintenanceScheduler.Entry(old, null, false))).start()) {
      CompletableFuture<MaintenanceReport> running = scheduler.runNow("default", false).orElseThrow();
      scheduler.replace(new MaintenanceScheduler.Entry(replacement, Schedule.every(Duration.ofMillis(1)), true));
      assertThat(scheduler.status().get(0).steps()).containsExactly("new step");
      assertThat(scheduler.status().get(0).schedule()).as("the schedule stays as armed").isNull();
      release.countDown();
      assertThat(running.get(60, TimeUnit.SECONDS).steps().get(0).summary()).isEqualTo("old");
      MaintenanceReport next = scheduler.runNow("default", false).orElseThrow().get(60, TimeUnit.SECONDS);
      assertThat(next.steps().get(0).summary()).isEqualTo("new");
      assertThat(next.dryRun()).isFalse();
      assertThatThrownBy(() -> scheduler.replace(new MaintenanceScheduler.Entry(
          MaintenanceJob.builder("nope", driver).build(), null, false))).isInstanceOf(IllegalArgumentException.class);
    }
  }

  /**
   * Pushes and pulls from three threads while the whole job (cleanup keeping the 3 newest tags,
   * with {@code keep-*} protected, then garbage collection with a 2 s grace period) runs again and
   * again; then every remaining tag pulls intact, the newest tags and the protected ones are
   * there, and after a last run no blob that nothing reaches is left.
   */
  @Test
  void stress_pushPullAndMaintenanceInterleaved_remainingTagsPullIntact_noGarbageLeft() throws Exception {
    List<byte[]> base = List.of(random(rnd, 1024), random(rnd, 1024), random(rnd, 1024));
    int workers = 3;
    AtomicBoolean stop = new AtomicBoolean();
    List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    List<List<String>> pushed = new ArrayList<>();
    AtomicInteger retries = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      ImageName image = ImageName.of("stress/w" + w);
      List<String> tags = Collections.synchronizedList(new ArrayList<>());
      pushed.add(tags);
      Random r = new Random(w);
      threads.add(new Thread(() -> {
        try {
          Images.pushWithRetry(repo, image, "keep-" + image.value().replace('/', '-'),
              List.of(base.get(0), random(r, 300)), r, retries);
          for (int n = 0; !stop.get(); n++) {
            String tag = String.format("t%04d", n);
            List<byte[]> layers = List.of(base.get(r.nextInt(base.size())), random(r, 200 + r.nextInt(800)));
            Images.pushWithRetry(repo, image, tag, layers, r, retries);
            tags.add(tag);
            // the tag just pushed is among the newest three: no run may take it or its blobs
            assertPullsIntact(repo, image, Tag.of(tag));
          }
        } catch (Throwable t) {
          errors.add(t);
        }
      }, "stress-" + w));
    }
    MaintenanceJob job = MaintenanceJob.builder("default", driver)
        .lease(Duration.ofMinutes(1), Duration.ZERO)
        .grace(Duration.ofSeconds(2))
        .step(step("cleanup", dryRun -> CleanupJob.builder(driver, new CleanupPolicy(3, null, null, null, "keep-.*"))
            .dryRun(dryRun).build().run()))
        .build();
    AtomicInteger runs = new AtomicInteger();
    Thread maintenance = new Thread(() -> {
      while (!stop.get()) {
        MaintenanceReport report = job.run(false);
        if (!report.succeeded()) {
          errors.add(new AssertionError(report.toString()));
          return;
        }
        runs.incrementAndGet();
      }
    }, "stress-maintenance");
    threads.forEach(Thread::start);
    maintenance.start();
    // At least 4 s of interleaving and at least two whole runs during it, however slow the
    // machine: a fixed sleep gave a loaded machine one run or none.
    long minimum = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(4000);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while ((System.nanoTime() < minimum || runs.get() < 2) && System.nanoTime() < deadline && errors.isEmpty()) {
      Thread.sleep(20);
    }
    stop.set(true);
    for (Thread t : threads) {
      t.join(60_000);
    }
    maintenance.join(60_000);
    assertThat(errors).isEmpty();
    assertThat(runs.get()).isGreaterThan(1);

    ageEveryFile(dir, Duration.ofHours(1)); // everything older than the grace period and the link window
    MaintenanceReport last = job.run(false);
    assertThat(last.succeeded()).as(last.toString()).isTrue();

    Set<Digest> reachable = new HashSet<>();
    for (int w = 0; w < workers; w++) {
      ImageName image = ImageName.of("stress/w" + w);
      List<String> remaining = repo.listTags(image, 1000, null).items();
      List<String> all = pushed.get(w);
      assertThat(remaining).as("image %s", image)
          .contains("keep-stress-w" + w)
          .containsAll(all.subList(Math.max(0, all.size() - 3), all.size()))
          .hasSize(4);
      for (String tag : remaining) {
        reachable.addAll(assertPullsIntact(repo, image, Tag.of(tag)));
      }
      // manifests the cleanup left untagged but young (under a minute) stay until a later run
      for (String alg : driver.list("/docker/registry/v2/repositories/stress/w" + w + "/_manifests/revisions")) {
        for (String hex : driver.list(alg)) {
          reachable.addAll(assertPullsIntact(repo, image, new Digest(Images.last(alg), Images.last(hex))));
        }
      }
    }
    assertThat(Images.storedBlobs(driver)).as("blobs left after %d runs (%d push retries)", runs.get(), retries.get())
        .isEqualTo(reachable);
  }

  /**
   * A tag pushed again while the cleanup unlinks its manifest gets the manifest back, and a
   * referrer gets its place in its subject's referrers back too.
   */
  @Test
  void cleanup_aTagPushedAgainDuringTheRun_getsItsReferrerBack() throws Exception {
    Pushed subject = push("app");
    Pushed signature = Images.pushReferrer(repo, APP, subject.descriptor(), rnd);
    byte[] sigBytes = repo.getManifest(APP, signature.manifest()).orElseThrow().bytes();
    repo.putManifest(APP, Tag.of("sig"), signature.mediaType(), sigBytes);
    StorageLayout layout = new StorageLayout();
    String revisionDir = layout.manifestRevisionDir(APP, signature.manifest());
    // the storage as the job sees it: right after it unlinks the signature, a client tags it again
    StorageDriver racing = new ForwardingDriver(driver) {
      @Override
      public void delete(String path) throws IOException {
        delegate.delete(path);
        if (path.equals(revisionDir)) {
          delegate.putContent(layout.tagCurrentLink(APP, Tag.of("sig")),
              signature.manifest().value().getBytes(StandardCharsets.US_ASCII));
        }
      }
    };

    CleanupJob.builder(racing, new CleanupPolicy(0, Duration.ofHours(1), null, "sig", null)).clock(LATER).build().run();

    assertThat(repo.listTags(APP, 10, null).items()).contains("sig");
    assertPullsIntact(repo, APP, Tag.of("sig"));
    assertThat(repo.referrers(APP, subject.manifest(), null))
        .extracting(r -> r.descriptor().digest()).containsExactly(signature.manifest());
  }

  /** Sets back the modification time of every file under {@code root}: ages without sleeping. */
  static void ageEveryFile(Path root, Duration by) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        Files.setLastModifiedTime(f, FileTime.from(Files.getLastModifiedTime(f).toInstant().minus(by)));
      }
    }
  }
}
