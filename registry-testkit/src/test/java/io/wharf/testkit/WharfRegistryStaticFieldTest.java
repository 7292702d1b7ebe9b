package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A field registration with options, shared by the class, reachable without parameters. */
class WharfRegistryStaticFieldTest {
  @RegisterExtension
  static final WharfRegistryExtension WHARF = WharfRegistryExtension.perClass(
      TestRegistryOptions.defaults().repositoryName("ci").fakeUpstream());

  @BeforeAll
  static void seedTheUpstream() {
    WHARF.registry().upstream().push("library/alpine", "3.20", TestImages.seeded(320).build());
  }

  @Test
  void registryAccessor_andParameter_areTheSameRegistry(TestRegistry registry) {
    assertThat(WHARF.registry()).isSameAs(registry);
    assertThat(registry.hosted().name()).isEqualTo("ci");
    assertThat(Http.get(registry.proxy().url(), "/v2/alpine/manifests/3.20").statusCode()).isEqualTo(200);
    assertThat(registry.journal().requests()).extracting(RecordedRequest::repository).containsExactly("proxy");
  }
}
