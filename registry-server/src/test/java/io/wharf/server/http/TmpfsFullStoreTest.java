package io.wharf.server.http;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FullStoreContract} on a file store on a real 20 MiB filesystem, a tmpfs the test mounts:
 * real ENOSPC from the kernel, free space from {@code statvfs}. Needs root to mount; skipped with
 * the reason otherwise.
 */
class TmpfsFullStoreTest extends FullStoreContract {
  @TempDir
  Path dir;
  private boolean mounted;

  private record Result(int exit, String output) {}

  @BeforeEach
  void mountTmpfs() throws Exception {
    String uid = run("id", "-u").output().trim();
    assumeTrue(uid.equals("0"), "mounting a tmpfs needs root; running as uid " + uid);
    Result mount = run("mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", dir.toString());
    assumeTrue(mount.exit() == 0,
        "mount -t tmpfs -o size=20m failed (a container without CAP_SYS_ADMIN?): " + mount.output());
    mounted = true;
  }

  @AfterEach
  void unmountTmpfs() throws Exception {
    if (mounted) {
      // lazy: the server may still be closing its files in the background
      Result umount = run("umount", "-l", dir.toString());
      if (umount.exit() != 0) {
        throw new IllegalStateException("umount -l " + dir + " failed: " + umount.output());
      }
    }
  }

  @Override
  protected String storeKeys() {
    return "type: file, path: \"" + dir.resolve("data") + "\"";
  }

  private static Result run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.waitFor(), out);
  }
}
