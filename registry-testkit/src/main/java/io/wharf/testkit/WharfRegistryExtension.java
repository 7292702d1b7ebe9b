package io.wharf.testkit;

import io.wharf.testkit.WharfRegistry.Lifecycle;
import java.lang.reflect.Modifier;
import java.util.Objects;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit Jupiter extension behind {@link WharfRegistry @WharfRegistry}: starts a {@link
 * TestRegistry} per test method or per test class, injects it into parameters of type {@code
 * TestRegistry}, and closes it afterwards.
 *
 * <p>Registered by the annotation, it takes its settings from there. Registered as a field, it
 * takes any {@link TestRegistryOptions}:
 *
 * <pre>
 * &#64;RegisterExtension
 * static WharfRegistryExtension wharf = WharfRegistryExtension.perClass(
 *     TestRegistryOptions.defaults().fakeUpstream());
 *
 * &#64;BeforeAll
 * static void seed() {
 *   wharf.registry().upstream().push("library/alpine", "3.20", TestImages.seeded(1).build());
 * }
 * </pre>
 *
 * A {@code perClass} extension must be a {@code static} field (JUnit calls class-level
 * callbacks only for those); a {@code perMethod} one may be either.
 *
 * <p>It uses only Jupiter API that exists unchanged in JUnit 5.14 and JUnit 6, and the test
 * kit declares {@code junit-jupiter-api} as {@code provided}: the user's JUnit version is the
 * one that runs.
 */
public final class WharfRegistryExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(WharfRegistryExtension.class);

  private final Lifecycle lifecycle;
  private final TestRegistryOptions options;
  private volatile TestRegistry current;

  /** The annotation's extension: settings from {@link WharfRegistry} on the test class. */
  public WharfRegistryExtension() {
    this(null, null);
  }

  private WharfRegistryExtension(Lifecycle lifecycle, TestRegistryOptions options) {
    this.lifecycle = lifecycle;
    this.options = options == null ? null : options.copy();
  }

  /**
   * {@return an extension that starts a fresh registry with default options for every test method}
   */
  public static WharfRegistryExtension perMethod() {
    return perMethod(TestRegistryOptions.defaults());
  }

  /**
   * An extension that starts a fresh registry for every test method, and closes it after the
   * method.
   *
   * @param options how each registry is set up (copied)
   * @return the extension, to register with {@code @RegisterExtension}
   */
  public static WharfRegistryExtension perMethod(TestRegistryOptions options) {
    return new WharfRegistryExtension(Lifecycle.PER_METHOD, Objects.requireNonNull(options));
  }

  /**
   * {@return an extension that starts one registry with default options for the whole class
   * (register it on a static field)}
   */
  public static WharfRegistryExtension perClass() {
    return perClass(TestRegistryOptions.defaults());
  }

  /**
   * An extension that starts one registry for the whole class (register it on a static field), and
   * closes it after the class.
   *
   * @param options how the registry is set up (copied)
   * @return the extension, to register with {@code @RegisterExtension}
   */
  public static WharfRegistryExtension perClass(TestRegistryOptions options) {
    return new WharfRegistryExtension(Lifecycle.PER_CLASS, Objects.requireNonNull(options));
  }

  /**
   * The registry of the test that is running (or, per class, of the class). For a field
   * registration, where parameters are not needed; with parallel test methods prefer a
   * parameter, which is always the right one.
   *
   * @return the running registry
   * @throws IllegalStateException outside a test or lifecycle method, when no registry runs
   */
  public TestRegistry registry() {
    TestRegistry r = current;
    if (r == null) {
      throw new IllegalStateException("no test registry is running: registry() works inside tests and"
          + " lifecycle methods (a perClass extension also in @BeforeAll, if its field is static)");
    }
    return r;
  }

  // ---- callbacks

  @Override
  public void beforeAll(ExtensionContext context) {
    Settings s = settings(context);
    if (s.lifecycle() == Lifecycle.PER_CLASS) {
      Holder visible = visible(context);
      current = visible != null ? visible.registry() : start(context, s);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    closeIfOwned(context);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    Settings s = settings(context);
    Holder visible = visible(context);
    if (s.lifecycle() == Lifecycle.PER_METHOD) {
      current = visible != null && visible.owner().equals(context.getUniqueId()) ? visible.registry() : start(context, s);
    } else if (visible == null) {
      throw new ExtensionConfigurationException("WharfRegistryExtension.perClass() must be registered on a static"
          + " field: JUnit does not call class-level callbacks of an instance field's extension");
    } else {
      current = visible.registry();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (closeIfOwned(context) && settings(context).lifecycle() == Lifecycle.PER_METHOD) {
      current = null;
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestRegistry.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Holder visible = visible(context);
    if (visible != null) {
      return visible.registry();
    }
    Settings s = settings(context);
    if (s.lifecycle() == Lifecycle.PER_METHOD) {
      if (context.getTestMethod().isEmpty()) {
        throw new ParameterResolutionException("a per-method test registry cannot be injected into "
            + parameter.getDeclaringExecutable() + ": there is no test method yet. Take it as a parameter of the"
            + " test or a @BeforeEach method, or use @WharfRegistry(lifecycle = PER_CLASS)");
      }
      return start(context, s); // a constructor parameter resolved in the method's context
    }
    if (Modifier.isStatic(parameter.getDeclaringExecutable().getModifiers()) || context.getTestMethod().isEmpty()) {
      return start(context, s); // before our beforeAll (another extension's): start it here, for the class
    }
    throw new ParameterResolutionException("WharfRegistryExtension.perClass() must be registered on a static field");
  }

  // ---- internals

  /** Where a running registry is kept: the context that started it, by unique id. */
  private record Holder(TestRegistry registry, String owner) {}

  private record Settings(Lifecycle lifecycle, TestRegistryOptions options) {}

  private TestRegistry start(ExtensionContext context, Settings s) {
    TestRegistry registry = TestRegistry.start(s.options());
    context.getStore(NAMESPACE).put(this, new Holder(registry, context.getUniqueId()));
    current = registry;
    return registry;
  }

  /** The registry visible from {@code context}: its own, or an enclosing context's (stores are hierarchical). */
  private Holder visible(ExtensionContext context) {
    return context.getStore(NAMESPACE).get(this, Holder.class);
  }

  private boolean closeIfOwned(ExtensionContext context) {
    Holder h = visible(context);
    if (h == null || !h.owner().equals(context.getUniqueId())) {
      return false;
    }
    context.getStore(NAMESPACE).remove(this, Holder.class);
    if (current == h.registry()) {
      current = null;
    }
    h.registry().close();
    // back to the enclosing class's registry, if there is one (nested classes, per-class parents)
    Holder outer = visible(context);
    if (outer != null) {
      current = outer.registry();
    }
    return true;
  }

  private Settings settings(ExtensionContext context) {
    if (options != null) {
      return new Settings(lifecycle, options);
    }
    WharfRegistry a = find(context.getTestClass()).orElse(null);
    TestRegistryOptions o = TestRegistryOptions.defaults();
    if (a == null) {
      return new Settings(Lifecycle.PER_METHOD, o);
    }
    o.storage(a.storage());
    if (a.https()) {
      o.https();
    }
    if (a.fakeUpstream()) {
      o.fakeUpstream();
    }
    if (!a.username().isEmpty()) {
      if (a.password().isEmpty()) {
        throw new ExtensionConfigurationException("@WharfRegistry(username = \"" + a.username() + "\") needs a password");
      }
      o.credentials(a.username(), a.password());
    }
    return new Settings(a.lifecycle(), o);
  }

  /** {@code @WharfRegistry} on the class, its superclasses, or the classes a {@code @Nested} class is in. */
  private static Optional<WharfRegistry> find(Optional<Class<?>> testClass) {
    for (Class<?> c = testClass.orElse(null); c != null; c = c.getEnclosingClass()) {
      Optional<WharfRegistry> a = AnnotationSupport.findAnnotation(c, WharfRegistry.class);
      if (a.isPresent()) {
        return a;
      }
      if (Modifier.isStatic(c.getModifiers())) {
        break; // a static nested class is a test class of its own, not @Nested
      }
    }
    return Optional.empty();
  }
}
