package io.wharf.testkit;

import java.util.Locale;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The first registry of a JVM builds Wharf's side (repositories, caches, servlets) and Jetty's side
 * one after the other on the starting thread; this does Jetty's class loading and static set-up on
 * a second thread meanwhile, once per JVM. Its largest part is the JDK's list of locales, which
 * Jetty's {@code MimeTypes} asks for when first loaded (a third of the starting thread's CPU without
 * it). It only constructs objects and throws them away: no thread, socket or file is opened, and
 * the starting thread does the same work itself, waiting for the class initialisation in
 * progress, if it gets there first.
 */
final class JettyWarmUp {
  private static final AtomicBoolean STARTED = new AtomicBoolean();

  private JettyWarmUp() {}

  /** Starts the warm-up thread, the first time only. */
  static void begin() {
    if (STARTED.compareAndSet(false, true)) {
      Thread t = new Thread(JettyWarmUp::run, "wharf-testkit-warm-up");
      t.setDaemon(true);
      t.start();
    }
  }

  private static void run() {
    try {
      Locale.getAvailableLocales(); // the JDK's, not Jetty's: no logging set-up to wait for first
      // The same kinds of objects as TestRegistry's constructor, never started.
      Server server = new Server(new QueuedThreadPool(1, 1, new LinkedBlockingQueue<>()));
      server.addConnector(new ServerConnector(server, 1, 1, new HttpConnectionFactory(new HttpConfiguration())));
      ContextHandlerCollection contexts = new ContextHandlerCollection();
      contexts.addHandler(new ServletContextHandler("/"));
      server.setHandler(contexts);
    } catch (RuntimeException | LinkageError e) {
      // only a head start: the starting thread meets the same problem and reports it
    }
  }
}
