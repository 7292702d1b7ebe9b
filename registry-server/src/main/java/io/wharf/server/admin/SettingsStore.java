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
 * store's driver under {@code _wharf/settings/}: on S3 every node of a multi-node setup reads the same
 * documents. The config file stays the starting point; each subject's service decides how its
 * document combines with the file (see {@code docs/api.md}, "Live changes").
 *
 * <p>Writes replace a whole document at once ({@link StorageDriver#putContent} is atomic on every
 * driver), so a crash leaves the old or the new document, never half of one.
 */
public interface SettingsStore {
  /** The path prefix of the documents in their blob store, beside the store's other {@code _wharf} files. */
  String PREFIX = "/docker/registry/v2/_wharf/settings/";

  /**
   * Reads a document.
   *
   * @param subject the document's name: a lower-case letter, then up to 63 lower-case letters,
   *     digits and dashes ({@code repositories})
   * @return its bytes as last written; empty if it was never written
   * @throws IllegalArgumentException for a subject that is no such name
   * @throws java.io.UncheckedIOException when the blob store cannot be read
   */
  Optional<byte[]> read(String subject);

  /**
   * Replaces a document as a whole; readers see the old or the new one, never a mix.
   *
   * @param subject the document's name, as for {@link #read}
   * @param json the whole document
   * @throws IllegalArgumentException for a subject that is no such name
   * @throws java.io.UncheckedIOException when the blob store cannot be written
   */
  void write(String subject, byte[] json);

  /**
   * Documents kept in a blob store, where every node that shares it sees them.
   *
   * @param driver the blob store's driver; each document is {@value #PREFIX}{@code <subject>.json}
   * @return the store
   */
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

  /**
   * Documents in memory only: for a server of an embedder's registry, whose changes last until it stops.
   *
   * @return an empty store; it copies what it is given and what it returns
   */
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

  private static String path(String subject) {
    return PREFIX + check(subject) + ".json";
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
