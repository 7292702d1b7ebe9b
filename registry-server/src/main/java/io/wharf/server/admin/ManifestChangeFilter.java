package io.wharf.server.admin;

import io.wharf.server.http.ManifestChange;
import io.wharf.server.sync.ReplicationService;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells search about every push and delete the registry API served ({@link ManifestChange}), after
 * the request was served, so the index follows this node's writes at once; and the push rules
 * ({@link ReplicationService#changed}), which copy the image to their remotes within seconds.
 */
final class ManifestChangeFilter implements Filter {
  private static final Logger LOG = LoggerFactory.getLogger(ManifestChangeFilter.class);
  private final SearchService search;
  private final ReplicationService replication;

  ManifestChangeFilter(SearchService search, ReplicationService replication) {
    this.search = search;
    this.replication = replication;
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    chain.doFilter(request, response);
    ManifestChange.of(request).ifPresent(c -> {
      try {
        search.changed(c.repository(), c.image());
      } catch (RuntimeException e) {
        LOG.warn("search index not told of the change to {} in {}: {}", c.image(), c.repository().name(), e.toString());
      }
      try {
        replication.changed(c.repository().name(), c.image().value());
      } catch (RuntimeException e) {
        LOG.warn("push rules not told of the change to {} in {}: {}", c.image(), c.repository().name(), e.toString());
      }
    });
  }
}
