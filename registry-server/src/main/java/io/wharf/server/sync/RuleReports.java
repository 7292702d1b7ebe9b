package io.wharf.server.sync;

import io.wharf.core.storage.StorageDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Where the runs of a repository's rules (pull rules, push rules) keep their reports and leases:
 * in the repository's storage under {@code _wharf/<kind>/<repository>/<rule>}, so that every node
 * sharing the storage answers alike and a restart keeps the last report.
 */
final class RuleReports {
  private static final Logger LOG = LoggerFactory.getLogger(RuleReports.class);
  private static final ObjectMapper JSON = JsonMapper.builder().build();

  private RuleReports() {}

  /** {@code kind} is {@code sync} or {@code replication}; {@code suffix} {@code json} or {@code lease}. */
  static String path(String kind, String repository, String rule, String suffix) {
    return "/docker/registry/v2/_wharf/" + kind + "/" + repository + "/" + rule + "." + suffix;
  }

  /** Writes a report; a failure is logged, not thrown (the run goes on). */
  static void store(StorageDriver storage, String path, Object report) {
    try {
      storage.putContent(path, JSON.writeValueAsString(report).getBytes(StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      LOG.warn("{}: report not stored: {}", path, e.toString());
    }
  }

  /** The stored report, if one was written and can be read (a torn one or one of another version: none). */
  static <T> Optional<T> read(StorageDriver storage, String path, Class<T> type) throws IOException {
    Optional<byte[]> bytes = storage.getContent(path);
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(bytes.get(), type));
    } catch (RuntimeException unreadable) {
      return Optional.empty();
    }
  }
}
