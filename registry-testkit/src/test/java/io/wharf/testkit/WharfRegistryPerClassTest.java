package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** One registry for the class and its nested classes; seeded in {@code @BeforeAll}. */
@WharfRegistry(lifecycle = WharfRegistry.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WharfRegistryPerClassTest {
  static TestRegistry shared;

  @BeforeAll
  static void seed(TestRegistry registry) {
    shared = registry;
    registry.push("base/java", "17", TestImages.seeded(17).build());
  }

  @AfterAll
  static void stillRunningInAfterAll(TestRegistry registry) {
    assertThat(registry).isSameAs(shared);
    assertThat(Http.get(registry.url(), "/v2/").statusCode()).isEqualTo(200);
  }

  @Test
  @Order(1)
  void seesTheSeed(TestRegistry registry) {
    assertThat(registry).isSameAs(shared);
    assertThat(registry.tags("base/java")).containsExactly("17");
    registry.push("team/app", "1.0", TestImages.seeded(1).build());
  }

  @Test
  @Order(2)
  void seesWhatTheFirstTestLeft(TestRegistry registry) {
    assertThat(registry.catalog()).containsExactly("base/java", "team/app");
  }

  @Nested
  class Inner {
    @Test
    void nestedClassSharesTheOuterRegistry(TestRegistry registry) {
      assertThat(registry).isSameAs(shared);
    }
  }
}
