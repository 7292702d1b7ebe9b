package io.wharf.server.http;

import io.wharf.core.model.ImageName;
import io.wharf.core.repository.Repository;
import jakarta.servlet.ServletRequest;
import java.util.Optional;

/**
 * That a request changed an image's manifests or tags (a manifest pushed, a tag or manifest
 * deleted), left on the request for whatever wraps the registry servlet: the search index re-reads
 * the image, without the registry API knowing about it.
 *
 * @param repository the repository the request addressed (a group for a push through a group)
 * @param image the image whose manifests or tags changed
 */
public record ManifestChange(Repository repository, ImageName image) {
  /** The request attribute holding it. */
  static final String ATTRIBUTE = ManifestChange.class.getName();

  /**
   * The change {@code request} made, if it made one.
   *
   * @param request a request the registry servlet (or the tag history API) has answered
   * @return the change, or empty for a request that changed nothing
   */
  public static Optional<ManifestChange> of(ServletRequest request) {
    return request.getAttribute(ATTRIBUTE) instanceof ManifestChange c ? Optional.of(c) : Optional.empty();
  }

  /**
   * Leaves this change on {@code request}, for {@link #of} to find once the request is answered.
   *
   * @param request the request that made the change
   */
  public void recordOn(ServletRequest request) {
    request.setAttribute(ATTRIBUTE, this);
  }
}
