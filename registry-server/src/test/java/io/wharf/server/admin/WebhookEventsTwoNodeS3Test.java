package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.JSON;
import static io.wharf.server.admin.ManagementHttp.pushImage;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.WharfConfig;
import io.wharf.storage.s3.S3ProxyProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * Two nodes on one S3 bucket share one outbox: events pushed through either node are all
 * delivered, in push order, and by one node only (each id once: no node died, so no duplicate).
 */
class WebhookEventsTwoNodeS3Test {
  static {
    ManagementHttp.quietLogs();
  }

  @RegisterExtension static final S3ProxyProcess S3 = new S3ProxyProcess();

  @Test
  void eventsFromBothNodes_areDeliveredOnce_inOrder() throws Exception {
    int images = 20;
    try (Receiver receiver = new Receiver()) {
      receiver.answer(503);
      WharfConfig config = ConfigLoader.parse("""
          server: {bind: 127.0.0.1, port: 0, accessLog: false}
          blobStores:
            shared: {type: s3, bucket: %s, prefix: %s, region: us-east-1, endpoint: '%s', pathStyle: true,
                     accessKey: %s, secretKey: %s}
          repositories: [{name: hosted, blobStore: shared}]
          events:
            endpoints:
              - {name: hook, url: "%s", backoff: 20ms, maxBackoff: 200ms}
          """.formatted(S3ProxyProcess.BUCKET, S3ProxyProcess.uniquePrefix(), S3.endpoint(),
          S3ProxyProcess.IDENTITY, S3ProxyProcess.CREDENTIAL, receiver.url()), "two-nodes-events.yaml");
      try (WharfServer a = WharfServer.start(config); WharfServer b = WharfServer.start(config)) {
        for (int i = 0; i < images; i++) {
          pushImage((i % 2 == 0 ? a : b).url(), "app", "t" + i, 10);
        }
        receiver.answer(200);
        List<Receiver.Delivery> got = receiver.await(r -> r.size() >= images);
        List<String> tags = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (Receiver.Delivery d : got) {
          JsonNode e = JSON.readTree(d.body()).get("events").get(0);
          tags.add(e.get("target").get("tag").asString());
          ids.add(e.get("id").asString());
        }
        assertThat(tags).containsExactlyElementsOf(IntStream.range(0, images).mapToObj(i -> "t" + i).toList());
        assertThat(ids).doesNotHaveDuplicates();
        // the events of both nodes are there: instanceID names the node that accepted each
        assertThat(got.stream().map(d -> JSON.readTree(d.body()).get("events").get(0).get("source")
            .get("instanceID").asString()).distinct()).hasSize(2);
      }
    }
  }
}
