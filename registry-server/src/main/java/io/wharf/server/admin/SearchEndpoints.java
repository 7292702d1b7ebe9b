package io.wharf.server.admin;

import java.io.IOException;
import java.util.Objects;

/**
 * Nexus's search and browse endpoints over {@link SearchService}:
 * <pre>
 * GET    /v1/search?repository=&amp;name=&amp;version=&amp;format=docker&amp;docker.imageName=&amp;docker.imageTag=
 *        &amp;docker.contentDigest=&amp;sha256=&amp;q=&amp;sort=&amp;direction=&amp;continuationToken=   components, 50 a page
 * GET    /v1/search/assets?(the same)                                  their assets
 * GET    /v1/components?repository=&amp;continuationToken=                 a repository's components, 100 a page
 * GET    /v1/components/{id}     DELETE: that tag only (204)
 * GET    /v1/assets?repository=&amp;continuationToken=                     a repository's assets, 100 a page
 * GET    /v1/assets/{id}         DELETE: the manifest, by digest (204)
 * </pre>
 */
final class SearchEndpoints implements RestEndpoints {
  private final SearchService search;

  SearchEndpoints(SearchService search) {
    this.search = Objects.requireNonNull(search);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    if (call.matches("v1", "search")) {
      call.allow("GET");
      call.send(search.search(call.caller(), SearchQuery.parse(call::query), call.query("continuationToken"),
          call.base()));
    } else if (call.matches("v1", "search", "assets")) {
      call.allow("GET");
      call.send(search.searchAssets(call.caller(), SearchQuery.parse(call::query), call.query("continuationToken"),
          call.base()));
    } else if (call.matches("v1", "components")) {
      call.allow("GET");
      call.send(search.components(call.caller(), call.query("repository"), call.query("continuationToken"),
          call.base()));
    } else if (call.matches("v1", "assets")) {
      call.allow("GET");
      call.send(search.assets(call.caller(), call.query("repository"), call.query("continuationToken"), call.base()));
    } else if (call.matches("v1", "components", "*")) {
      call.allow("GET", "DELETE");
      if (call.method().equals("DELETE")) {
        search.deleteComponent(call.caller(), call.segment(2));
        call.status(204);
      } else {
        call.send(search.component(call.caller(), call.segment(2), call.base()));
      }
    } else if (call.matches("v1", "assets", "*")) {
      call.allow("GET", "DELETE");
      if (call.method().equals("DELETE")) {
        search.deleteAsset(call.caller(), call.segment(2));
        call.status(204);
      } else {
        call.send(search.asset(call.caller(), call.segment(2), call.base()));
      }
    } else {
      return false;
    }
    return true;
  }
}
