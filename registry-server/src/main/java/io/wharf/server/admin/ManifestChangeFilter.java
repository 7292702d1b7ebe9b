package io.wharf.server.admin;

import io.wharf.server.http.ManifestChange;
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
 * the request was served, so the index follows this node's writes at once.
 */
final class ManifestChangeFilter implements Filter {
  private static final Logger LOG = LoggerFactory.getLogger(ManifestChangeFilter.class);
  private final SearchService search;

  ManifestChangeFilter(SearchService search) {
    this.search = search;
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
    });
  }
}
