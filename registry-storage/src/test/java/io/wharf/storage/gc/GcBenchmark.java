package io.wharf.storage.gc;

import io.wharf.core.gc.GarbageCollector;
import io.wharf.core.lifecycle.CleanupJob;
import io.wharf.core.lifecycle.CleanupPolicy;
import io.wharf.core.lifecycle.MaintenanceJob;
import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.storage.fs.FilesystemDriver;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * Not a test: measures garbage collection (and a maintenance job with a keep-5-newest cleanup
 * policy) of a generated filesystem store (10,000 manifests,
 * 50,000 blobs by default: 1,000 images of 10 tagged manifests, each with a config and 2-3 layers,
 * plus 5,000 linked but unreferenced blobs), written straight to disk in distribution's layout.
 *
 * <pre>
 * java -Xmx64m -cp ... io.wharf.storage.gc.GcBenchmark [--dir DIR] [--images 1000] [--per-image 10] [--orphans 5000]
 * </pre>
 */
public final class GcBenchmark {
  private static final String V2 = "docker/registry/v2";

  public static void main(String[] args) throws Exception {
    Path dir = Path.of("target/gc-bench");
    int images = 1000;
    int perImage = 10;
    int orphans = 5000;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--dir" -> dir = Path.of(args[i + 1]);
        case "--images" -> images = Integer.parseInt(args[i + 1]);
        case "--per-image" -> perImage = Integer.parseInt(args[i + 1]);
        case "--orphans" -> orphans = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    deleteTree(dir);
    long t0 = System.nanoTime();
    long[] counts = generate(dir, images, perImage, orphans);
    System.out.printf("generated %d manifests, %d blobs in %d images in %.1f s%n", counts[0], counts[1], images,
        (System.nanoTime() - t0) / 1e9);

    FilesystemDriver driver = new FilesystemDriver(dir);
    Clock later = Clock.offset(Clock.systemUTC(), Duration.ofHours(2)); // everything is past the grace period
    run("dry run", GarbageCollector.builder(driver).clock(later).dryRun(true).leaseSettle(Duration.ZERO).build()::run);
    run("collect", GarbageCollector.builder(driver).clock(later).leaseSettle(Duration.ZERO).build()::run);
    run("again (nothing left)", GarbageCollector.builder(driver).clock(later).leaseSettle(Duration.ZERO).build()::run);
    // The whole maintenance job with a cleanup policy: keep the 5 newest tags of each image.
    MaintenanceJob job = MaintenanceJob.builder("default", driver).clock(later).lease(Duration.ofMinutes(2), Duration.ZERO)
        .step(MaintenanceJob.step("cleanup", dryRun -> CleanupJob.builder(driver, new CleanupPolicy(5, null, null, null, null))
            .clock(later).dryRun(dryRun).build().run()))
        .build();
    run("maintenance dry run", () -> job.run(true));
    run("maintenance", () -> job.run(false));
    System.out.printf("max heap %d MiB, JVM %s%n", Runtime.getRuntime().maxMemory() >> 20,
        System.getProperty("java.version"));
  }

  private static void run(String what, Callable<Object> work) throws Exception {
    System.gc();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      pool.resetPeakUsage();
    }
    long before = heapUsed();
    long t = System.nanoTime();
    Object report = work.call();
    double seconds = (System.nanoTime() - t) / 1e9;
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.out.printf("%-22s %6.2f s  heap before %4d MiB, peak %4d MiB  %s%n", what, seconds, before >> 20,
        peak >> 20, report);
  }

  private static long heapUsed() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Returns {manifests, blobs}. */
  private static long[] generate(Path root, int images, int perImage, int orphans) throws IOException {
    Random rnd = new Random(1);
    long manifests = 0;
    long blobs = 0;
    int orphansLeft = orphans;
    for (int i = 0; i < images; i++) {
      Path image = root.resolve(V2 + "/repositories/team" + (i % 50) + "/app" + i);
      for (int m = 0; m < perImage; m++) {
        Digest config = blob(root, image, ("{\"os\":\"linux\",\"n\":" + rnd.nextLong() + "}").getBytes(StandardCharsets.UTF_8));
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
            + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + config.value()
            + "\",\"size\":40},\"layers\":[");
        int layers = 2 + (m % 2);
        for (int l = 0; l < layers; l++) {
          byte[] bytes = new byte[64 + rnd.nextInt(192)];
          rnd.nextBytes(bytes);
          Digest d = blob(root, image, bytes);
          json.append(l == 0 ? "" : ",").append("{\"mediaType\":\"").append(MediaTypes.OCI_LAYER_TAR_GZIP)
              .append("\",\"digest\":\"").append(d.value()).append("\",\"size\":").append(bytes.length).append('}');
        }
        json.append("]}");
        byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
        Digest md = Digest.sha256(body);
        write(blobPath(root, md), body);
        String link = md.value();
        write(image.resolve("_manifests/revisions/sha256/" + md.hex() + "/link"), link.getBytes(StandardCharsets.US_ASCII));
        write(image.resolve("_manifests/tags/v" + m + "/current/link"), link.getBytes(StandardCharsets.US_ASCII));
        write(image.resolve("_manifests/tags/v" + m + "/index/sha256/" + md.hex() + "/link"),
            link.getBytes(StandardCharsets.US_ASCII));
        manifests++;
        blobs += 2 + layers;
      }
      int here = orphansLeft / (images - i);
      for (int o = 0; o < here; o++) {
        byte[] bytes = new byte[100];
        rnd.nextBytes(bytes);
        blob(root, image, bytes);
        blobs++;
      }
      orphansLeft -= here;
    }
    return new long[] {manifests, blobs};
  }

  private static Digest blob(Path root, Path image, byte[] bytes) throws IOException {
    Digest d = Digest.sha256(bytes);
    write(blobPath(root, d), bytes);
    write(image.resolve("_layers/sha256/" + d.hex() + "/link"), d.value().getBytes(StandardCharsets.US_ASCII));
    return d;
  }

  private static Path blobPath(Path root, Digest d) {
    return root.resolve(V2 + "/blobs/sha256/" + d.hex().substring(0, 2) + "/" + d.hex() + "/data");
  }

  private static void write(Path file, byte[] bytes) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    // walkFileTree, not a sorted Files.walk: the tree has ~300,000 entries; this streams them.
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private GcBenchmark() {}
}
