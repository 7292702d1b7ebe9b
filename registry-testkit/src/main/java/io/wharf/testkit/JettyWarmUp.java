package io.wharf.testkit;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServlet;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.LoggerFactory;

/**
 * The first registry of a JVM builds Wharf's side (repositories, caches, servlets) and Jetty's side
 * one after the other on the starting thread; this does Jetty's class loading and static set-up on
 * a second thread meanwhile, once per JVM. Its largest part is the JDK's list of locales, which
 * Jetty's {@code MimeTypes} asks for when first loaded (about a third of the starting thread's CPU
 * without it). It only constructs objects and throws them away: it opens no socket or file and
 * starts no thread but its own. The starting thread waits for it ({@link #awaitJetty()}) before it
 * builds its own server, so the two never initialise Jetty's classes at the same time (two threads
 * entering a cycle of class initialisers from opposite ends would wait for each other forever).
 *
 * <p>Only with more than two processors: the JIT compilers' threads take about as much CPU as the
 * starting thread during a first start, so on two processors the second thread has no core to run
 * on; measured there (docs/benchmarks.md), it saved the starting thread's CPU but not wall time,
 * and cost wall time on a loaded machine.
 *
 * <p>SLF4J is set up by the starting thread before the second thread touches a class that asks for
 * a logger: SLF4J hands a thread that asks while another one sets it up a stand-in logger, and then
 * warns on standard error that it replayed the stand-ins' calls.
 */
final class JettyWarmUp {
  private static final AtomicBoolean STARTED = new AtomicBoolean();
  /** The most a start waits for the warm-up; then it goes on (the warm-up is only a head start). */
  private static final long MAX_WAIT_MILLIS = 30_000;
  private static volatile Thread thread;

  private JettyWarmUp() {}

  /** The first time, with more than two processors: starts the second thread, then sets up SLF4J here. */
  static void begin() {
    if (Runtime.getRuntime().availableProcessors() <= 2 || !STARTED.compareAndSet(false, true)) {
      return;
    }
    CountDownLatch logging = new CountDownLatch(1);
    Thread t = new Thread(() -> run(logging), "wharf-testkit-warm-up");
    t.setDaemon(true);
    thread = t;
    t.start();
    try {
      LoggerFactory.getILoggerFactory(); // what the first Wharf or Jetty class would do a moment later
    } finally {
      logging.countDown();
    }
  }

  /** Waits until the warm-up is done, if one runs: called before the first use of Jetty's classes. */
  static void awaitJetty() {
    Thread t = thread;
    if (t == null || t == Thread.currentThread()) {
      return;
    }
    try {
      t.join(MAX_WAIT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void run(CountDownLatch logging) {
    try {
      Locale.getAvailableLocales(); // the JDK's: asks no logger, so it runs beside SLF4J's set-up
      logging.await();
      // The same kinds of objects as TestRegistry's constructor, never started.
      Server server = new Server(new QueuedThreadPool(1, 1, new LinkedBlockingQueue<>()));
      server.addConnector(new ServerConnector(server, 1, 1, new HttpConnectionFactory(new HttpConfiguration())));
      ServletContextHandler context = new ServletContextHandler("/");
      context.addFilter(new FilterHolder(new PassFilter()), "/*", EnumSet.of(DispatcherType.REQUEST));
      context.addServlet(new ServletHolder(new HttpServlet() {
        private static final long serialVersionUID = 1L;
      }), "/*");
      ContextHandlerCollection contexts = new ContextHandlerCollection();
      contexts.addHandler(context);
      server.setHandler(contexts);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | LinkageError e) {
      // only a head start: the starting thread meets the same problem and reports it
    }
  }

  /** A filter that passes every request on. */
  private static final class PassFilter implements Filter {
    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
        throws IOException, ServletException {
      chain.doFilter(req, res);
    }
  }
}
