package io.wharf.server.it;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A pull or push rule's report through the management API, as the ITs wait for it. */
final class RuleReports {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private RuleReports() {
  }

  /**
   * Polls {@code ruleUrl} ({@code .../sync/<rule>} or {@code .../replication/<rule>}) until the rule
   * is not running and has a finished last run.
   *
   * @param auth the {@code Authorization} header, or null for an open server
   * @param patience how long a run may take on a loaded machine
   * @return the rule's report
   */
  static JsonNode awaitRun(String ruleUrl, String auth, Duration patience) throws Exception {
    long deadline = System.nanoTime() + patience.toNanos();
    JsonNode r;
    do {
      r = JSON.readTree(DistributionPushes.send(HttpRequest.newBuilder(URI.create(ruleUrl)).GET(), auth).body());
      if (!r.get("running").asBoolean() && r.hasNonNull("last") && r.get("last").hasNonNull("finished")) {
        return r;
      }
      Thread.sleep(100); // a poll interval; the deadline bounds the wait
    } while (System.nanoTime() < deadline);
    throw new AssertionError("the run did not end: " + r);
  }
}
