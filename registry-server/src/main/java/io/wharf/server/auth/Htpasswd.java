package io.wharf.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@code htpasswd} file as CNCF distribution reads it: {@code name:hash} lines, bcrypt hashes
 * only ({@code htpasswd -B}), blank lines and {@code #} comments ignored. So the users of a
 * {@code registry:2} carry over unchanged.
 *
 * <p>The file is re-read when its modification time or size changes (looked at no more than once
 * a second), so users can be added without a restart. A file that turns invalid is reported in the
 * log and the last valid content stays in use. Thread-safe.
 */
public final class Htpasswd {
  private static final Logger LOG = LoggerFactory.getLogger(Htpasswd.class);
  private static final long CHECK_INTERVAL_NANOS = 1_000_000_000L;

  private final Path file;
  private volatile Map<String, String> users;
  private volatile FileTime modified;
  private volatile long size;
  private volatile long checkedAt;

  private Htpasswd(Path file, Map<String, String> users, FileTime modified, long size) {
    this.file = file;
    this.users = users;
    this.modified = modified;
    this.size = size;
    this.checkedAt = System.nanoTime();
  }

  /**
   * Reads {@code file}.
   *
   * @throws IOException if it cannot be read
   * @throws IllegalArgumentException naming the line, if a line is malformed or not bcrypt
   * @param file the htpasswd file
   * @return the file's users, re-read when the file changes
   */
  public static Htpasswd read(Path file) throws IOException {
    FileTime modified = Files.getLastModifiedTime(file);
    long size = Files.size(file);
    return new Htpasswd(file, parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString()), modified, size);
  }

  /** Parses htpasswd lines; {@code source} names the file in messages. */
  static Map<String, String> parse(List<String> lines, String source) {
    Map<String, String> users = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      String at = source + " line " + (i + 1);
      if (colon <= 0) {
        throw new IllegalArgumentException(at + ": expected name:hash");
      }
      String name = line.substring(0, colon);
      String hash = line.substring(colon + 1);
      if (!PasswordHashes.isBcrypt(hash)) {
        throw new IllegalArgumentException(at + ": the hash of user \"" + name
            + "\" is not bcrypt; only bcrypt is supported (htpasswd -B, or java -jar wharf.jar hash-password)");
      }
      if (users.putIfAbsent(name, hash) != null) {
        throw new IllegalArgumentException(at + ": user \"" + name + "\" appears twice");
      }
    }
    return Collections.unmodifiableMap(users);
  }

  /**
   * The file the users are read from.
   *
   * @return the path
   */
  public Path file() {
    return file;
  }

  /**
   * The users and their hashes, re-read if the file changed. A changed file that cannot be read
   * or parsed is logged, and the users read before stay.
   *
   * @return the bcrypt hash of each user name, in the file's order
   */
  public Map<String, String> users() {
    long now = System.nanoTime();
    if (now - checkedAt >= CHECK_INTERVAL_NANOS) {
      checkedAt = now;
      reloadIfChanged();
    }
    return users;
  }

  private synchronized void reloadIfChanged() {
    try {
      FileTime m = Files.getLastModifiedTime(file);
      long s = Files.size(file);
      if (m.equals(modified) && s == size) {
        return;
      }
      Map<String, String> fresh = parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
      users = fresh;
      modified = m;
      size = s;
      LOG.info("re-read {}: {} users", file, fresh.size());
    } catch (IOException | IllegalArgumentException e) {
      LOG.warn("cannot re-read {}, keeping the {} users read before: {}", file, users.size(), e.getMessage());
      try {
        modified = Files.getLastModifiedTime(file); // don't complain again until it changes
        size = Files.size(file);
      } catch (IOException ignored) {
        // the file is gone; complain again next time
      }
    }
  }
}
