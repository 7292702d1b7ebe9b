package io.wharf.server.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.wharf.server.config.ConfigException;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.RegistryFactory;
import io.wharf.server.config.WharfConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The repositories created through the management API, kept in the {@link SettingsStore} under
 * subject {@value #SUBJECT} as {@code {"repositories":[...]}} (each entry in the config file's
 * repository shape), and how they combine with the config file:
 *
 * <ul>
 *   <li>the file's repositories are pinned: the API cannot change or delete them;
 *   <li>the API owns the repositories it created; they come back at every start;
 *   <li>a name in both: the file wins, and the API's entry is dropped with a warning (as is an
 *       API entry that no longer fits the file, e.g. its port is now the file's).
 * </ul>
 */
public final class RepositoryDocument {
  /** The settings subject of the document. */
  static final String SUBJECT = "repositories";
  private static final JsonMapper JSON = JsonMapper.builder()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .changeDefaultPropertyInclusion(v -> JsonInclude.Value.construct(JsonInclude.Include.NON_NULL,
          JsonInclude.Include.NON_NULL))
      .build();

  /** The document's shape; {@code version} lets a later Wharf read an older one. */
  record Document(int version, List<WharfConfig.Repository> repositories) {}

  private RepositoryDocument() {}

  /**
   * The repositories the API created, read at start before the registry is built.
   *
   * @param settings where the document is kept (the first blob store)
   * @return the repositories in creation order; empty if the document was never written
   * @throws ConfigException when the document is there but is not valid JSON of its shape (the
   *     server refuses to start rather than drop repositories)
   */
  public static List<WharfConfig.Repository> read(SettingsStore settings) {
    Optional<byte[]> doc = settings.read(SUBJECT);
    if (doc.isEmpty()) {
      return List.of();
    }
    try {
      Document d = JSON.readValue(doc.get(), Document.class);
      return d == null || d.repositories() == null ? List.of() : List.copyOf(d.repositories());
    } catch (JacksonException e) {
      throw new ConfigException("the repositories created through the management API (" + SettingsStore.PREFIX
          + SUBJECT + ".json) cannot be read: " + e.getOriginalMessage(), e);
    }
  }

  /** Replaces the document with {@code repositories}. */
  static void write(SettingsStore settings, List<WharfConfig.Repository> repositories) {
    settings.write(SUBJECT, JSON.writeValueAsBytes(new Document(1, List.copyOf(repositories))));
  }

  /**
   * The running configuration: {@code file} with its repositories' namespaces written out (so
   * repositories added later never move their images), then each of {@code api} that fits.
   *
   * @param file the configuration file's settings
   * @param api the repositories the API created, from {@link #read}
   * @param warn told of each API repository left out, and why
   * @return the configuration to run, validated; the file's alone when none of {@code api} fits
   */
  public static WharfConfig merge(WharfConfig file, List<WharfConfig.Repository> api, Consumer<String> warn) {
    WharfConfig merged = RegistryFactory.pinNamespaces(file.withDefaults());
    Set<String> pinned = names(merged);
    for (WharfConfig.Repository r : api) {
      if (pinned.contains(r.name())) {
        warn.accept("repository " + r.name() + " is declared in the configuration file and was also created"
            + " through the management API; the file's declaration is used and the API's is dropped");
        continue;
      }
      List<WharfConfig.Repository> next = new ArrayList<>(merged.repositories());
      next.add(r);
      WharfConfig candidate = merged.withRepositories(next);
      try {
        ConfigLoader.validate(candidate, "management API");
        merged = candidate;
      } catch (ConfigException e) {
        warn.accept("repository " + r.name() + " (created through the management API) is not started and will be"
            + " dropped at the next change: " + e.getMessage());
      }
    }
    return merged;
  }

  /** The repositories of {@code running} that the file does not pin: what the document holds. */
  static List<WharfConfig.Repository> owned(WharfConfig running, Set<String> pinned) {
    return running.repositories().stream().filter(r -> !pinned.contains(r.name())).toList();
  }

  static Set<String> names(WharfConfig config) {
    return config.repositories().stream().map(WharfConfig.Repository::name)
        .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
  }
}
