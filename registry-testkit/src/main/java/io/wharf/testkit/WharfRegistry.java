package io.wharf.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs an in-process Wharf for the annotated test class and injects it as a {@link TestRegistry}
 * parameter (of test methods, lifecycle methods and, with {@link Lifecycle#PER_CLASS}, the
 * constructor and {@code @BeforeAll} methods).
 *
 * <pre>
 * &#64;WharfRegistry
 * class PipelineTest {
 *   &#64;Test
 *   void pushesTheImage(TestRegistry registry) {
 *     runPipeline(registry.imageRef("team/app", "1.0"));
 *     assertThat(registry.tags("team/app")).containsExactly("1.0");
 *   }
 * }
 * </pre>
 *
 * For options beyond these, register {@link WharfRegistryExtension} as a field with
 * {@code @RegisterExtension}. Works on JUnit 5 (5.14) and JUnit 6.
 */
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(WharfRegistryExtension.class)
public @interface WharfRegistry {

  /** When a fresh registry starts. */
  enum Lifecycle {
    /** One registry per test method, started before it and stopped after it (the default). */
    PER_METHOD,
    /** One registry for the whole class (and its {@code @Nested} classes), stopped after the last test. */
    PER_CLASS
  }

  /** {@return when a fresh registry starts: per test method (the default) or once per class} */
  Lifecycle lifecycle() default Lifecycle.PER_METHOD;

  /**
   * Where the registry keeps its bytes.
   *
   * @return memory (the default) or a temporary directory
   */
  TestRegistryOptions.Storage storage() default TestRegistryOptions.Storage.MEMORY;

  /**
   * Also run a fake upstream with Docker Hub's naming, a proxy repository of it and a group over
   * both ({@link TestRegistryOptions#fakeUpstream()}).
   *
   * @return true for an upstream, a proxy and a group besides the hosted repository
   */
  boolean fakeUpstream() default false;

  /**
   * With a user name (and {@link #password()}), authentication is on: see {@link
   * TestRegistryOptions#credentials}; {@link TestRegistry#credentials()} gives them back.
   *
   * @return the user's name, or empty (the default) for no authentication
   */
  String username() default "";

  /** {@return the password of {@link #username()}} */
  String password() default "";

  /**
   * Serve HTTPS with a generated certificate ({@link TestRegistryOptions#https()}; see {@link
   * TestRegistry#tls()}).
   *
   * @return true for HTTPS
   */
  boolean https() default false;
}
