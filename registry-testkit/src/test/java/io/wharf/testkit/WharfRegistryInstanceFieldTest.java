package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An instance field: per method. */
class WharfRegistryInstanceFieldTest {
  @RegisterExtension
  final WharfRegistryExtension wharf = WharfRegistryExtension.perMethod(
      TestRegistryOptions.defaults().storage(TestRegistryOptions.Storage.TEMP_DIRECTORY));

  @Test
  void worksWithoutParameters() {
    assertThat(wharf.registry().hosted().storageDirectory()).isPresent();
    assertThat(Http.get(wharf.registry().url(), "/v2/").statusCode()).isEqualTo(200);
  }
}
