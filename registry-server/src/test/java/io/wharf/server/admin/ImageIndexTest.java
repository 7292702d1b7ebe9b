package io.wharf.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Repository;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import io.wharf.storage.memory.InMemoryDriver;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The search index follows storage: two indexes on one storage stand for two nodes on one S3
 * bucket; time that matters (hint expiry, the periodic walk) runs on a clock the test moves.
 * Conditions are awaited with a generous deadline; the poll itself runs every 20 ms.
 */
class ImageIndexTest {
  static final Duration HINT_TTL = Duration.ofMinutes(5);
  static final Duration WALK_EVERY = Duration.ofMinutes(10);

  final StorageDriver storage = new InMemoryDriver();
  final TestClock clock = new TestClock(Instant.parse("2026-12-02T10:00:00Z"));
  final Repository nodeA = HostedRepository.builder("hosted", storage).build();
  final Repository nodeB = HostedRepository.builder("hosted", storage).build();
  final ImageIndex a = index(nodeA);
  final ImageIndex b = index(nodeB);

  ImageIndex index(Repository r) {
    return new ImageIndex(() -> List.of(r), new ManifestFacts(100), clock, Duration.ofMillis(20), HINT_TTL,
        WALK_EVERY);
  }

  @AfterEach
  void close() {
    a.close();
    b.close();
  }

  /** Writes a tag link as a push would (the index reads links, not manifests). */
  void tag(String image, String tag, String content) throws Exception {
    StorageLayout layout = new StorageLayout();
    Digest d = Digest.sha256(content);
    storage.putContent(layout.manifestRevisionLink(ImageName.of(image), d), d.value().getBytes(StandardCharsets.US_ASCII));
    storage.putContent(layout.tagCurrentLink(ImageName.of(image), Tag.of(tag)), d.value().getBytes(StandardCharsets.US_ASCII));
  }

  static void await(String what, BooleanSupplier condition) {
    Instant deadline = Instant.now().plusSeconds(60);
    while (!condition.getAsBoolean()) {
      assertThat(Instant.now()).as("waiting for: %s", what).isBefore(deadline);
      try {
        Thread.sleep(5); // a pause between looks, not the wait: that is the deadline
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  boolean has(ImageIndex index, Repository r, String image, String tag) {
    var tags = index.images(r).get(image);
    return tags != null && tags.containsKey(tag);
  }

  @Test
  void aChangeOnOneNode_reachesTheOther_throughAHint_whichExpires() throws Exception {
    assertThat(b.images(nodeB)).isEmpty(); // B walked the empty storage
    tag("team/app", "1.0", "m1");
    a.changed(nodeA, ImageName.of("team/app"));
    assertThat(has(a, nodeA, "team/app", "1.0")).as("the writing node: at once").isTrue();
    await("B sees A's change", () -> has(b, nodeB, "team/app", "1.0"));

    String journal = new StorageLayout().indexJournalDir();
    assertThat(storage.list(journal)).hasSize(1);
    clock.advance(HINT_TTL.plusSeconds(1));
    await("the expired hint is deleted", () -> list(journal).isEmpty());
  }

  @Test
  void aWriteNobodyAnnounced_showsAfterThePeriodicWalk() throws Exception {
    assertThat(b.images(nodeB)).isEmpty();
    tag("quiet/app", "2.0", "m2"); // e.g. a proxy caching a tag, or another tool: no hint
    assertThat(has(b, nodeB, "quiet/app", "2.0")).isFalse();
    clock.advance(WALK_EVERY.plusSeconds(1));
    await("the walk finds it", () -> has(b, nodeB, "quiet/app", "2.0"));
  }

  @Test
  void aDeletedImage_leavesTheIndex() throws Exception {
    tag("gone/app", "1", "m3");
    a.changed(nodeA, ImageName.of("gone/app"));
    await("B sees it", () -> has(b, nodeB, "gone/app", "1"));
    storage.delete(new StorageLayout().imageRoot(ImageName.of("gone/app")));
    a.changed(nodeA, ImageName.of("gone/app"));
    assertThat(a.images(nodeA)).doesNotContainKey("gone/app");
    await("B forgets it", () -> !b.images(nodeB).containsKey("gone/app"));
  }

  List<String> list(String dir) {
    try {
      return storage.list(dir);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    private final AtomicReference<Instant> now;

    TestClock(Instant start) {
      this.now = new AtomicReference<>(start);
    }

    void advance(Duration d) {
      now.updateAndGet(i -> i.plus(d));
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
