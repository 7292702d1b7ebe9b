package io.wharf.server.admin;

import java.io.IOException;
import java.util.Objects;

/**
 * Nexus's task endpoints over the blob stores' maintenance ({@link TaskService}), administrators only:
 * <pre>
 * GET  /v1/tasks[?type=]        the tasks (unpaged, continuationToken null)
 * GET  /v1/tasks/{id}           one task
 * POST /v1/tasks/{id}/run       204; 500 if it runs already (as Nexus)
 * POST /v1/tasks/{id}/stop      204; 409 if it is not running
 * </pre>
 */
final class TaskEndpoints implements RestEndpoints {
  private final TaskService tasks;

  TaskEndpoints(TaskService tasks) {
    this.tasks = Objects.requireNonNull(tasks);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    if (call.matches("v1", "tasks")) {
      call.allow("GET");
      String type = call.query("type");
      call.send(tasks.list(call.caller(), type == null || type.isEmpty() ? null : type));
    } else if (call.matches("v1", "tasks", "*")) {
      call.allow("GET");
      call.send(tasks.get(call.caller(), call.segment(2)));
    } else if (call.matches("v1", "tasks", "*", "run")) {
      call.allow("POST");
      tasks.run(call.caller(), call.segment(2));
      call.status(204);
    } else if (call.matches("v1", "tasks", "*", "stop")) {
      call.allow("POST");
      tasks.stop(call.caller(), call.segment(2));
      call.status(204);
    } else {
      return false;
    }
    return true;
  }
}
