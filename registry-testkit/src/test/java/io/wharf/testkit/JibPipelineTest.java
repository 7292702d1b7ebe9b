package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Jib build on a seeded base image, pushed into the kit and checked through the journal. */
@WharfRegistry
class JibPipelineTest {
  @TempDir Path work;

  @Test
  void jibBuild_pushesExactlyTheseTags_andReadsTheBaseWithoutWritingIt(TestRegistry registry) throws Exception {
    TestImage base = TestImages.seeded(17).layers(2, 8192).build();
    registry.push("base/java", "17", base);
    Path app = Files.writeString(work.resolve("app.txt"), "hello from the pipeline");

    JibContainer built = Jib.from(RegistryImage.named(registry.imageRef("base/java", "17")))
        .addLayer(List.of(app), AbsoluteUnixPath.get("/app"))
        .containerize(Containerizer.to(RegistryImage.named(registry.imageRef("team/app", "1.0")))
            .withAdditionalTag("latest")
            .setAllowInsecureRegistries(true)
            .setBaseImageLayersCache(work.resolve("cache-base"))
            .setApplicationLayersCache(work.resolve("cache-app")));

    RequestJournal journal = registry.journal();
    // exactly these tags were pushed, nothing else (Jib pushes the tags concurrently)
    assertThat(journal.pushedTags("team/app")).containsExactlyInAnyOrder("1.0", "latest");
    assertThat(journal.pushedRefs()).containsExactlyInAnyOrder("team/app:1.0", "team/app:latest");
    assertThat(registry.tags("team/app")).containsExactly("1.0", "latest");
    assertThat(registry.manifest("team/app:1.0").orElseThrow().digest().value()).isEqualTo(built.getDigest().toString());

    // the base image was read, never written
    assertThat(journal.requests(r -> "base/java".equals(r.image())))
        .isNotEmpty().allSatisfy(r -> assertThat(r.method()).isIn("GET", "HEAD"));
    // its layers were mounted into team/app, not uploaded again
    List<String> baseLayers = base.image().layers().stream().map(l -> l.digest().value()).toList();
    assertThat(journal.requests(r -> r.endpoint() == Endpoint.UPLOADS && r.status() == 201))
        .extracting(r -> param(r.query(), "mount"))
        .containsExactlyInAnyOrderElementsOf(baseLayers);
    // the new layer and the config were uploaded, each after a HEAD that found it missing
    List<RecordedRequest> all = journal.requests();
    List<RecordedRequest> uploads = journal.requests(r -> r.endpoint() == Endpoint.UPLOAD && r.method().equals("PUT"));
    assertThat(uploads).hasSize(2).allSatisfy(put -> {
      String digest = param(put.query(), "digest");
      assertThat(put.status()).isEqualTo(201);
      assertThat(all.subList(0, all.indexOf(put))).anySatisfy(head -> {
        assertThat(head.line()).isEqualTo("HEAD /v2/team/app/blobs/" + digest);
        assertThat(head.status()).isEqualTo(404);
      });
    });
    // and the manifests went last, once every blob was in place
    int firstManifestPut = all.indexOf(journal.requests(RecordedRequest::isTagPush).get(0));
    assertThat(all.subList(firstManifestPut, all.size())).allMatch(RecordedRequest::isTagPush);
  }

  private static String param(String query, String name) {
    for (String pair : query == null ? new String[0] : query.split("&")) {
      if (pair.startsWith(name + "=")) {
        return java.net.URLDecoder.decode(pair.substring(name.length() + 1), java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
