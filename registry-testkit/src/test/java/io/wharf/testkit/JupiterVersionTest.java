package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Shows which JUnit runs this module's tests: 5.14 in the default Surefire execution, 6.1 in the
 * {@code junit6} one, where the extension's tests (compiled against JUnit 5) run again.
 */
class JupiterVersionTest {
  @Test
  void runningJupiter_isTheOneThisExecutionAskedFor() {
    String expected = System.getProperty("wharf.expectedJupiterVersion");
    String running = Test.class.getPackage().getImplementationVersion();
    assertThat(running).isEqualTo(expected);
    assertThat(WharfRegistryExtension.class.getClassLoader()).isSameAs(Test.class.getClassLoader());
  }
}
