package io.wharf.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import io.wharf.storage.fs.FilesystemDriver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code wharf gc}, through the real command line, on a data directory. */
class GcCommandTest {
  static final ImageName APP = ImageName.of("team/app");

  @TempDir
  Path data;

  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  int run(String... args) {
    CommandLine cli = new CommandLine(new WharfCli());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    String[] all = new String[args.length + 1];
    all[0] = "gc";
    System.arraycopy(args, 0, all, 1, args.length);
    return cli.execute(all);
  }

  static Digest upload(HostedRepository repo, byte[] bytes) throws IOException {
    UploadSession s = repo.startUpload(APP);
    Digest d = Digest.sha256(bytes);
    repo.finishUpload(APP, s.id(), new ByteArrayInputStream(bytes), Chunk.STREAMED, d);
    return d;
  }

  /** Two hours back: past the default grace period and link window. */
  void ageEverything() throws IOException {
    FileTime old = FileTime.from(Instant.now().minus(Duration.ofHours(2)));
    try (Stream<Path> files = Files.walk(data)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.setLastModifiedTime(p, old);
      }
    }
  }

  @Test
  void dryRun_thenRun_deletesTheOrphanOnly() throws Exception {
    HostedRepository repo = HostedRepository.builder("hosted", new FilesystemDriver(data)).build();
    byte[] config = "{\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
    byte[] layer = "layer bytes".getBytes(StandardCharsets.UTF_8);
    Digest c = upload(repo, config);
    Digest l = upload(repo, layer);
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + c.value() + "\",\"size\":" + config.length + "},\"layers\":[{"
        + "\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR_GZIP + "\",\"digest\":\"" + l.value() + "\",\"size\":"
        + layer.length + "}]}";
    repo.putManifest(APP, Tag.of("1.0"), MediaTypes.OCI_MANIFEST, manifest.getBytes(StandardCharsets.UTF_8));
    Digest orphan = upload(repo, new byte[1234]);
    ageEverything();

    assertThat(run("--data", data.toString(), "--dry-run")).isZero();
    assertThat(out.toString()).contains("blob store default (file): dry run")
        .contains("blobs to delete 1 (1234 bytes)").contains("would delete " + orphan.value());
    assertThat(repo.getBlob(APP, orphan)).isPresent();

    assertThat(run("--data", data.toString(), "--purge-uploads", "24h")).isZero();
    assertThat(out.toString()).contains("blobs deleted 1 (1234 bytes)");
    assertThat(repo.getBlob(APP, orphan)).isEmpty();
    assertThat(repo.getBlob(APP, l)).isPresent();
    assertThat(repo.getManifest(APP, Tag.of("1.0"))).isPresent();
  }

  @Test
  void badDuration_isAConfigurationError() {
    assertThat(run("--data", data.toString(), "--grace", "soon")).isEqualTo(2);
    assertThat(err.toString()).contains("--grace").contains("invalid duration");
  }
}
