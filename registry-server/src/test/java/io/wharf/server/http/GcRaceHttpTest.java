package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.digest;
import static io.wharf.server.http.RegistryHttp.randomBlob;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.gc.GarbageCollector;
import io.wharf.core.gc.GcReport;
import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import io.wharf.core.testing.AgingDriver;
import io.wharf.core.testing.ForwardingDriver;
import io.wharf.server.http.RegistryHttp.ManifestJson;
import io.wharf.server.http.RegistryHttp.Resp;
import io.wharf.storage.fs.FilesystemDriver;
import io.wharf.storage.gc.Images;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 14, item 0, over HTTP against a real Wharf: a blob that online garbage collection is
 * deleting is mounted ({@code POST ?mount=&from=}), uploaded again or pushed again, and every
 * manifest the registry accepted stays whole. Ages are set with an {@link AgingDriver} (the
 * collector and the server see the same storage), never by sleeping.
 */
class GcRaceHttpTest {
  static final String ROOT = "/docker/registry/v2";
  static final Duration OLD = Duration.ofHours(1);
  static final StorageLayout LAYOUT = new StorageLayout();

  @TempDir
  Path dir;

  StorageDriver base(String kind) {
    return kind.equals("file") ? new FilesystemDriver(dir) : new InMemoryDriver();
  }

  static RegistryHttp serve(StorageDriver storage) throws Exception {
    return RegistryHttp.start(HostedRepository.builder("hosted", storage).metadataCacheTtl(Duration.ZERO).build());
  }

  /**
   * The reproduction: push load/del-i:v1, delete its manifest, add a thousand and more
   * unreferenced blobs, let it all age, collect with a 1 s grace; while blobs disappear, one layer
   * is mounted into load/new-i and load/new-i:v1 is pushed just before the sweep moves that
   * layer, and the other layer is mounted into load/new-j just after (the mount finds it gone:
   * 202, the client uploads it). Both images and all their layers pull afterwards.
   */
  @ParameterizedTest
  @ValueSource(strings = {"file", "memory"})
  void mountAndPushDuringTheSweep_theAcceptedImagesStayWhole(String kind) throws Exception {
    AgingDriver aging = new AgingDriver(base(kind));
    try (RegistryHttp http = serve(aging)) {
      ManifestJson del = http.pushImage("load/del-i", "v1", 2);
      Digest kept = del.layer(0);
      Digest gone = del.layer(1);
      byte[] goneBytes = http.get("/v2/load/del-i/blobs/" + gone).body();
      assertThat(http.delete("/v2/load/del-i/manifests/" + del.digest()).status()).isEqualTo(202);
      int junk = 1200; // more than one batch of the sweep
      storeUnreferencedBlobs(kind, aging, junk);
      aging.ageAll(ROOT, OLD); // the issue waits a minute

      AtomicBoolean before = new AtomicBoolean();
      AtomicBoolean after = new AtomicBoolean();
      List<String> answers = Collections.synchronizedList(new ArrayList<>());
      StorageDriver watched = new ForwardingDriver(aging) {
        @Override
        public void move(String from, String to) throws IOException {
          boolean toTrash = to.contains("/gc-trash/");
          if (toTrash && from.equals(LAYOUT.blobData(kept)) && before.compareAndSet(false, true)) {
            Resp mount = http.post("/v2/load/new-i/blobs/uploads/?mount=" + kept + "&from=load/del-i", new byte[0]);
            answers.add("mount before the move: " + mount.status());
            assertThat(mount.status()).as("%s", mount).isEqualTo(201);
            pushReferencing(http, "load/new-i", kept, del.get("layers").get(0).path("size").asLong());
          }
          delegate.move(from, to);
          if (toTrash && from.equals(LAYOUT.blobData(gone)) && after.compareAndSet(false, true)) {
            Resp mount = http.post("/v2/load/new-j/blobs/uploads/?mount=" + gone + "&from=load/del-i", new byte[0]);
            answers.add("mount after the move: " + mount.status());
            assertThat(mount.status()).as("%s", mount).isEqualTo(202);
            Resp put = http.put(mount.location() + (mount.location().contains("?") ? "&" : "?") + "digest=" + gone,
                goneBytes, "Content-Type", MediaTypes.OCTET_STREAM);
            assertThat(put.status()).as("%s", put).isEqualTo(201);
            pushReferencing(http, "load/new-j", gone, goneBytes.length);
          }
        }
      };

      GcReport report = GarbageCollector.builder(watched).leaseSettle(Duration.ZERO).grace(Duration.ofSeconds(1))
          .build().run();

      assertThat(answers).hasSize(2);
      assertWhole(http, "load/new-i", "v1");
      assertWhole(http, "load/new-j", "v1");
      assertThat(report.blobsDeleted()).as("%s", report).isGreaterThanOrEqualTo(junk);
    }
  }

  /**
   * Three clients mount, upload again and push manifests against every blob of garbage while the
   * collector runs again and again with grace 0, for a few rounds (each with fresh garbage, aged
   * at once). Every manifest answered 201 pulls whole afterwards, and a last run leaves exactly
   * what those manifests reference: garbage nobody took back is reclaimed.
   */
  @ParameterizedTest
  @ValueSource(strings = {"file", "memory"})
  void stress_mountsUploadsAndPushesAgainstRunningSweeps_acceptedImagesWhole_garbageReclaimed(String kind)
      throws Exception {
    AgingDriver aging = new AgingDriver(base(kind));
    GarbageCollector gc = GarbageCollector.builder(aging).leaseSettle(Duration.ZERO).grace(Duration.ZERO).build();
    List<Accepted> accepted = Collections.synchronizedList(new ArrayList<>());
    List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger runs = new AtomicInteger();
    AtomicInteger retries = new AtomicInteger();
    try (RegistryHttp http = serve(aging)) {
      for (int round = 0; round < 3; round++) {
        List<Garbage> garbage = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
          String src = "src/r" + round + "-" + s;
          ManifestJson m = http.pushImage(src, "v1", 4);
          for (int i = 0; i < 4; i++) {
            Digest d = m.layer(i);
            garbage.add(new Garbage(src, d, http.get("/v2/" + src + "/blobs/" + d).body()));
          }
          assertThat(http.delete("/v2/" + src + "/manifests/" + m.digest()).status()).isEqualTo(202);
        }
        aging.ageAll(ROOT, OLD);

        AtomicBoolean writing = new AtomicBoolean(true);
        Thread collector = new Thread(() -> {
          try {
            do {
              gc.run();
              runs.incrementAndGet();
            } while (writing.get());
          } catch (Throwable t) {
            errors.add(t);
          }
        }, "stress-gc");
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
          Random r = new Random(round * 10L + w);
          String dst = "dst/r" + round + "-w" + w;
          writers.add(new Thread(() -> {
            try {
              for (int n = 0; n < 4; n++) {
                Garbage g = garbage.get(r.nextInt(garbage.size()));
                int op = r.nextInt(3);
                String image = op == 2 ? g.image() : dst + "-" + n;
                String tag = "t" + n + "-" + Thread.currentThread().getName();
                accepted.add(reference(http, op, g, image, tag, retries));
              }
            } catch (Throwable t) {
              errors.add(t);
            }
          }, "w" + w));
        }
        collector.start();
        writers.forEach(Thread::start);
        for (Thread t : writers) {
          t.join(120_000);
        }
        writing.set(false);
        collector.join(120_000);
        assertThat(errors).isEmpty();
      }

      Set<Digest> referenced = new HashSet<>();
      for (Accepted a : accepted) {
        referenced.addAll(assertWhole(http, a.image(), a.tag()));
      }
      aging.ageAll(ROOT, OLD);
      gc.run();
      assertThat(Images.storedBlobs(aging)).as("blobs left after %d runs (%d client retries)", runs.get(),
          retries.get()).containsExactlyInAnyOrderElementsOf(referenced);
      assertThat(accepted).hasSize(3 * 3 * 4);
    }
  }

  record Garbage(String image, Digest digest, byte[] bytes) {}

  record Accepted(String image, String tag) {}

  /**
   * As a client: makes {@code g} part of {@code image} (op 0: a mount from its image, falling back
   * to an upload on 202; op 1: an upload of the same bytes; op 2: nothing to send if the image
   * still has it, as a HEAD would tell) and pushes a manifest referencing it; on {@code
   * MANIFEST_BLOB_UNKNOWN} (the collector took it meanwhile) starts over, as clients do.
   */
  static Accepted reference(RegistryHttp http, int op, Garbage g, String image, String tag, AtomicInteger retries) {
    for (int attempt = 0; ; attempt++) {
      if (op == 0) {
        Resp mount = http.post("/v2/" + image + "/blobs/uploads/?mount=" + g.digest() + "&from=" + g.image(), new byte[0]);
        if (mount.status() == 202) {
          Resp put = http.put(mount.location() + (mount.location().contains("?") ? "&" : "?") + "digest=" + g.digest(),
              g.bytes(), "Content-Type", MediaTypes.OCTET_STREAM);
          assertThat(put.status()).as("%s", put).isEqualTo(201);
        } else {
          assertThat(mount.status()).as("%s", mount).isEqualTo(201);
        }
      } else if (op == 1 || http.head("/v2/" + image + "/blobs/" + g.digest()).status() != 200) {
        http.pushBlob(image, g.bytes());
      }
      byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"tag\":\"" + tag + "\"}")
          .getBytes(StandardCharsets.UTF_8);
      http.pushBlob(image, config);
      ManifestJson m = ManifestJson.oci().config(MediaTypes.OCI_CONFIG, config)
          .layer(MediaTypes.OCI_LAYER_TAR_GZIP, g.digest(), g.bytes().length);
      Resp r = http.put("/v2/" + image + "/manifests/" + tag, m.bytes(), "Content-Type", m.mediaType());
      if (r.status() == 201) {
        return new Accepted(image, tag);
      }
      RegistryHttp.assertError(r, 400, "MANIFEST_BLOB_UNKNOWN");
      assertThat(attempt).as("retries of %s:%s", image, tag).isLessThan(5);
      retries.incrementAndGet();
    }
  }

  /** Pushes {@code name}:v1 with a fresh config and {@code layer}, which the image must already have. */
  static void pushReferencing(RegistryHttp http, String name, Digest layer, long size) {
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"image\":\"" + name + "\"}")
        .getBytes(StandardCharsets.UTF_8);
    http.pushBlob(name, config);
    http.pushManifest(name, "v1", ManifestJson.oci().config(MediaTypes.OCI_CONFIG, config)
        .layer(MediaTypes.OCI_LAYER_TAR_GZIP, layer, size));
  }

  /** GETs {@code name:tag} and every blob it references, checking each digest; returns them all. */
  static Set<Digest> assertWhole(RegistryHttp http, String name, String tag) {
    Resp manifest = http.get("/v2/" + name + "/manifests/" + tag, "Accept", MediaTypes.OCI_MANIFEST);
    assertThat(manifest.status()).as("%s:%s %s", name, tag, manifest).isEqualTo(200);
    Set<Digest> out = new HashSet<>();
    out.add(digest(manifest.body()));
    var json = RegistryHttp.JSON.readTree(manifest.body());
    List<Digest> blobs = new ArrayList<>();
    blobs.add(Digest.parse(json.get("config").get("digest").asString()));
    json.get("layers").forEach(l -> blobs.add(Digest.parse(l.get("digest").asString())));
    for (Digest d : blobs) {
      Resp blob = http.get("/v2/" + name + "/blobs/" + d);
      assertThat(blob.status()).as("blob %s of %s:%s", d, name, tag).isEqualTo(200);
      assertThat(digest(blob.body())).as("content of %s", d).isEqualTo(d);
      out.add(d);
    }
    return out;
  }

  /**
   * Unreferenced blobs, as finished uploads leave them, straight into storage: on the filesystem
   * as plain files (thousands of fsynced writes would take the test's time), elsewhere through
   * the driver.
   */
  void storeUnreferencedBlobs(String kind, StorageDriver storage, int n) throws IOException {
    for (int i = 0; i < n; i++) {
      byte[] b = randomBlob(64);
      String path = LAYOUT.blobData(digest(b));
      if (kind.equals("file")) {
        Path file = dir.resolve(path.substring(1));
        Files.createDirectories(file.getParent());
        Files.write(file, b);
      } else {
        storage.putContent(path, b);
      }
    }
  }
}
