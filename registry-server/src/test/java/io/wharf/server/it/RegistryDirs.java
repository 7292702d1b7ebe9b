package io.wharf.server.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads a data directory in distribution's layout ({@code docker/registry/v2/...}, see
 * {@code StorageLayout}): Wharf's, or the upstream docker-registry's, for checks of what a cache
 * holds after the fact.
 */
final class RegistryDirs {
  private static final String ROOT = "docker/registry/v2";

  private RegistryDirs() {}

  /** Blobs ({@code blobs/sha256/xx/<hex>/data}) whose content does not hash to their name. */
  static List<String> corruptBlobs(Path dataDir) {
    List<String> corrupt = new ArrayList<>();
    Path blobs = dataDir.resolve(ROOT).resolve("blobs/sha256");
    if (!Files.isDirectory(blobs)) {
      return corrupt;
    }
    try (Stream<Path> files = Files.walk(blobs)) {
      files.filter(f -> f.getFileName().toString().equals("data")).sorted().forEach(f -> {
        String name = "sha256:" + f.getParent().getFileName();
        String actual = OciLayouts.sha256(f);
        if (!actual.equals(name)) {
          corrupt.add(name + " (content hashes to " + actual + ")");
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return corrupt;
  }

  /** Whether the bytes of {@code digest} are stored. */
  static boolean hasBlob(Path dataDir, String digest) {
    String hex = digest.substring("sha256:".length());
    return Files.exists(dataDir.resolve(ROOT).resolve("blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex)
        .resolve("data"));
  }

  /**
   * Every tag: {@code <path under repositories/>:<tag>} to the digest its {@code current/link}
   * names (for a namespaced Wharf store the path starts with the repository's namespace).
   */
  static Map<String, String> tags(Path dataDir) {
    Map<String, String> tags = new TreeMap<>();
    Path repositories = dataDir.resolve(ROOT).resolve("repositories");
    if (!Files.isDirectory(repositories)) {
      return tags;
    }
    try (Stream<Path> files = Files.walk(repositories)) {
      files.filter(f -> f.endsWith(Path.of("current", "link")) && f.getParent().getParent().getParent()
          .getFileName().toString().equals("tags")).forEach(link -> {
            Path tagDir = link.getParent().getParent();
            Path image = repositories.relativize(tagDir.getParent().getParent().getParent());
            tags.put(image + ":" + tagDir.getFileName(), read(link));
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return tags;
  }

  /** The digest {@code image:tag} points at, if the tag exists. */
  static Optional<String> tag(Path dataDir, String image, String tag) {
    Path link = dataDir.resolve(ROOT).resolve("repositories").resolve(image).resolve("_manifests/tags")
        .resolve(tag).resolve("current/link");
    return Files.exists(link) ? Optional.of(read(link)) : Optional.empty();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
