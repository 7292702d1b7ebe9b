package com.example.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wharf.testkit.TestImages;
import io.wharf.testkit.TestRegistry;
import io.wharf.testkit.WharfRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** A user's first test with the kit: a registry per test class, seeded, asked over HTTP. */
@WharfRegistry
class PipelineTest {
  @Test
  void seededImage_isServedOverHttp(TestRegistry registry) throws Exception {
    registry.push("team/app", "1.0", TestImages.seeded(7).layers(2, 4096).build());

    HttpResponse<String> tags = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(registry.url() + "/v2/team/app/tags/list")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertEquals(200, tags.statusCode(), tags.body());
    assertTrue(tags.body().contains("\"1.0\""), tags.body());
  }
}
