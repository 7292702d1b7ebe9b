package io.wharf.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.lifecycle.MaintenanceJob;
import io.wharf.core.lifecycle.MaintenanceScheduler;
import io.wharf.core.repository.Repository;
import io.wharf.storage.memory.InMemoryDriver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The tasks of a store whose job is running: a second run is refused as Nexus refuses it (500),
 * a stop ends the run before its next step (its tasks then report {@code CANCELED}), a stop of an
 * idle task is a 409.
 */
class TaskServiceTest {

  @Test
  void runWhileRunning_is500_stopCancelsBeforeTheNextStep() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    MaintenanceJob job = MaintenanceJob.builder("default", new InMemoryDriver())
        .lease(Duration.ofMinutes(1), Duration.ZERO)
        .step(MaintenanceJob.step("cleanup of docker-hosted", dryRun -> {
          started.countDown();
          try {
            release.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return "done";
        }))
        .build();
    try (MaintenanceScheduler scheduler = new MaintenanceScheduler(
        List.of(new MaintenanceScheduler.Entry(job, null, false)))) {
      TaskService tasks = new TaskService(scheduler,
          Map.of("default", new TaskService.Parts(Map.of(TaskService.Part.CLEANUP, List.of("docker-hosted")))),
          Permissions.OPEN, List::<Repository>of);
      Caller admin = Caller.ANONYMOUS; // an open server
      assertThat(tasks.list(admin, null).items()).extracting(TaskService.Task::id)
          .containsExactly("default.cleanup", "default.gc"); // this job keeps stale uploads: no purge task
      assertThatThrownBy(() -> tasks.stop(admin, "default.gc")).isInstanceOfSatisfying(ManagementException.class,
          e -> assertThat(e.reason()).isEqualTo(ManagementException.Reason.CONFLICT));

      tasks.run(admin, "default.cleanup");
      assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();
      assertThat(tasks.get(admin, "default.gc").currentState()).as("the parts share one run").isEqualTo("RUNNING");
      assertThatThrownBy(() -> tasks.run(admin, "default.gc")).isInstanceOfSatisfying(ManagementException.class,
          e -> {
            assertThat(e.reason().status()).isEqualTo(500);
            assertThat(e.getMessage()).contains("already running");
          });
      tasks.stop(admin, "default.gc");
      release.countDown();

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      // the report is recorded (lastRun) a moment before the run's future completes (RUNNING until then)
      while ((tasks.get(admin, "default.gc").lastRun() == null
          || !tasks.get(admin, "default.gc").currentState().equals("WAITING")) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      TaskService.Task gc = tasks.get(admin, "default.gc");
      assertThat(gc.currentState()).isEqualTo("WAITING");
      assertThat(gc.lastRunResult()).isEqualTo("CANCELED");
      assertThat(gc.message()).startsWith(MaintenanceJob.STOPPED).contains("garbage collection");
      assertThat(tasks.get(admin, "default.cleanup").lastRunResult()).isEqualTo("CANCELED");
    }
  }
}
