package io.wharf.server.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.proxy.sync.SyncReport;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A push rule's reconcile as a {@code replication.complete} event of its repository. */
class ReplicationEventTest {

  @Test
  void finishedReconcile_isAReplicationCompleteEvent_withItsNumbersAndDeletes() {
    List<Event> published = new ArrayList<>();
    SystemEvents events = new SystemEvents(published::add);
    SyncReport.Snapshot report = new SyncReport.Snapshot("site-b", SyncReport.State.PARTIAL,
        Instant.parse("2026-12-03T01:00:00Z"), Instant.parse("2026-12-03T01:00:02Z"), null, 3, 2, 0, 1, 4, 5, 6, 7000,
        0, List.of(new SyncReport.Failure("team/app:old", "not deleted: remote refused")), null, 1,
        List.of("team/app:rc"));

    events.replication().finished("releases", report);

    assertThat(published).singleElement().satisfies(e -> {
      assertThat(e.action().wire()).isEqualTo("replication.complete");
      assertThat(e.repository()).isEqualTo("releases");
      assertThat(e.actor().name()).isEqualTo("replication:site-b");
      assertThat(e.details()).containsEntry("state", "partial").containsEntry("imagesCopied", 2)
          .containsEntry("bytesCopied", 7000L).containsEntry("tagsDeleted", 1).containsEntry("durationMillis", 2000L)
          .containsKey("failures");
    });
  }
}
