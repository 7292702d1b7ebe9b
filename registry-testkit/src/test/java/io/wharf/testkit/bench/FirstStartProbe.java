package io.wharf.testkit.bench;

import io.wharf.testkit.TestRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ClassLoadingMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One line about the first {@code TestRegistry.start()} of a fresh JVM, then {@code --warm N}
 * more starts in the same JVM: wall time to the first answer to {@code GET /v2/}, the process's
 * CPU time for it (every thread: JIT and GC included), the starting thread's CPU time for it
 * and the classes it loaded. CPU time and classes stay meaningful on a machine too busy
 * for wall times; the starting thread's CPU is the start's critical path when there are cores to
 * spare, the process's CPU bounds it when there are not. Run by {@code
 * bench/testkit-startup.sh}, once per fresh JVM.
 */
public final class FirstStartProbe {
  public static void main(String[] args) throws Exception {
    int warm = args.length == 2 && args[0].equals("--warm") ? Integer.parseInt(args[1]) : 0;
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    ClassLoadingMXBean classes = ManagementFactory.getClassLoadingMXBean();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long main0 = threads.getCurrentThreadCpuTime();
    long cpu0 = os.getProcessCpuTime();
    long loaded0 = classes.getTotalLoadedClassCount();
    double first = startAndAsk();
    long cpu = os.getProcessCpuTime() - cpu0;
    long main = threads.getCurrentThreadCpuTime() - main0;
    long loaded = classes.getTotalLoadedClassCount() - loaded0;
    double[] warmStarts = new double[warm];
    for (int i = 0; i < warm; i++) {
      warmStarts[i] = startAndAsk();
    }
    java.util.Arrays.sort(warmStarts);
    System.out.printf(Locale.ROOT, "first_ms=%.1f first_cpu_ms=%.1f first_main_cpu_ms=%.1f first_classes=%d warm_median_ms=%s jvm_uptime_ms=%d%n",
        first, cpu / 1e6, main / 1e6, loaded, warm == 0 ? "-" : String.format(Locale.ROOT, "%.1f", warmStarts[warm / 2]),
        ManagementFactory.getRuntimeMXBean().getUptime());
  }

  /** {@code TestRegistry.start()} to the status line of {@code GET /v2/} on a new connection, in ms; then closes it. */
  private static double startAndAsk() throws Exception {
    long t0 = System.nanoTime();
    try (TestRegistry registry = TestRegistry.start();
         Socket s = new Socket("127.0.0.1", registry.url().getPort())) {
      s.getOutputStream().write("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
      double ms = (System.nanoTime() - t0) / 1e6;
      if (status == null || !status.contains(" 200 ")) {
        throw new IllegalStateException("GET /v2/ answered " + status);
      }
      return ms;
    }
  }
}
