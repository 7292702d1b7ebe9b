package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Default: a fresh registry for each test, closed after it. */
@WharfRegistry
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WharfRegistryPerMethodTest {
  static final List<TestRegistry> SEEN = new ArrayList<>();

  @BeforeEach
  void sameInstanceInLifecycleMethods(TestRegistry registry) {
    SEEN.add(registry);
  }

  @Test
  @Order(1)
  void first(TestRegistry registry) {
    assertThat(SEEN).last().isSameAs(registry);
    registry.push("team/app", "1.0", TestImages.seeded(1).build());
    assertThat(Http.get(registry.url(), "/v2/team/app/manifests/1.0").statusCode()).isEqualTo(200);
  }

  @Test
  @Order(2)
  void second_getsAFreshEmptyRegistry_theFirstIsClosed(TestRegistry registry) {
    assertThat(SEEN).hasSize(2);
    assertThat(SEEN.get(0)).isNotSameAs(registry);
    assertThat(registry.catalog()).isEmpty();
    assertThat(registry.journal().requests()).isEmpty();
    TestRegistry first = SEEN.get(0);
    assertThatThrownBy(() -> Http.get(first.url(), "/v2/")).hasCauseInstanceOf(java.net.ConnectException.class);
  }
}
