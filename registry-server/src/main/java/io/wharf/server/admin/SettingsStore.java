package io.wharf.server.admin;

import io.wharf.core.storage.StorageDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Pattern;

/**
 * Where changes made through the management API are kept, one JSON document per subject
 * ({@code repositories}, {@code security}, ...), so they survive a restart. Kept in a blob
 * store's driver under {@value #PREFIX}: on S3 every node of a multi-node setup reads the same
 * documents. The config file stays the starting point; each subject's service decides how its
 * document combines with the file (see the README's "Live changes").
 *
 * <p>Writes replace a whole document at once ({@link StorageDriver#putContent} is atomic on every
 * driver), so a crash leaves the old or the new document, never half of one.
 */
public interface SettingsStore {
  /** The path prefix of the documents in their blob store, below {@link #STORAGE_ROOT}. */
  String PREFIX = "_wharf/settings/";

  /** The storage root of distribution's layout, where {@code _wharf/} lives. */
  String STORAGE_ROOT = "/docker/registry/v2";

  /** The document {@code subject}, if it was ever written. */
  Optional<byte[]> read(String subject);

  /** Replaces the document {@code subject}. */
  void write(String subject, byte[] json);

  /** Documents kept in {@code driver} under {@value #PREFIX}{@code <subject>.json}. */
  static SettingsStore in(StorageDriver driver) {
    Objects.requireNonNull(driver);
    return new SettingsStore() {
      @Override
      public Optional<byte[]> read(String subject) {
        try {
          return driver.getContent(path(subject));
        } catch (IOException e) {
          throw new UncheckedIOException("could not read the settings " + path(subject) + " of " + driver.name(), e);
        }
      }

      @Override
      public void write(String subject, byte[] json) {
        try {
          driver.putContent(path(subject), json);
        } catch (IOException e) {
          throw new UncheckedIOException("could not write the settings " + path(subject) + " of " + driver.name(), e);
        }
      }
    };
  }

  /** Documents in memory only: for a server of an embedder's registry, whose changes last until it stops. */
  static SettingsStore inMemory() {
    ConcurrentMap<String, byte[]> docs = new ConcurrentHashMap<>();
    return new SettingsStore() {
      @Override
      public Optional<byte[]> read(String subject) {
        return Optional.ofNullable(docs.get(check(subject))).map(byte[]::clone);
      }

      @Override
      public void write(String subject, byte[] json) {
        docs.put(check(subject), json.clone());
      }
    };
  }

  /**
   * The driver path of a document: beside Wharf's other private data ({@code _wharf/} of the
   * storage root, which distribution never reads). Driver paths are absolute: without the root,
   * a driver would read {@code PREFIX} as a path with its first character cut off.
   */
  private static String path(String subject) {
    return STORAGE_ROOT + "/" + PREFIX + check(subject) + ".json";
  }

  private static String check(String subject) {
    if (!Subject.NAME.matcher(subject).matches()) {
      throw new IllegalArgumentException("not a settings subject: " + subject);
    }
    return subject;
  }

  /** Holds the pattern (interfaces cannot have private static fields). */
  final class Subject {
    static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,63}");

    private Subject() {}
  }
}
