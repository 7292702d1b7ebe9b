package io.wharf.server.http;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.repository.Page;
import io.wharf.core.repository.Referrer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The listings: {@code tags/list}, {@code _catalog} and {@code referrers}. */
final class ListEndpoints {
  private ListEndpoints() {}

  static void tags(Exchange x) throws IOException {
    ImageName image = x.image();
    int n = x.pageSize();
    Page page = x.repository.listTags(image, n, x.query("last"));
    x.linkNext(x.clientName(image) + "/tags/list", page, n);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", x.clientName(image));
    body.put("tags", page.items());
    x.sendJson(body);
  }

  static void catalog(Exchange x) throws IOException {
    int n = x.pageSize();
    Page page = x.repository.catalog(n, x.query("last"));
    x.linkNext("_catalog", page, n);
    x.sendJson(Map.of("repositories", page.items()));
  }

  static void referrers(Exchange x) throws IOException {
    ImageName image = x.image();
    Digest subject = Digest.parse(x.route.argument());
    String artifactType = x.query("artifactType");
    List<Map<String, Object>> manifests = new ArrayList<>();
    for (Referrer r : x.repository.referrers(image, subject, artifactType)) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("mediaType", r.descriptor().mediaType());
      d.put("digest", r.descriptor().digest().value());
      d.put("size", r.descriptor().size());
      if (r.artifactType() != null) {
        d.put("artifactType", r.artifactType());
      }
      if (!r.annotations().isEmpty()) {
        d.put("annotations", r.annotations());
      }
      manifests.add(d);
    }
    if (artifactType != null) {
      x.resp.setHeader("OCI-Filters-Applied", "artifactType");
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("schemaVersion", 2);
    body.put("mediaType", MediaTypes.OCI_INDEX);
    body.put("manifests", manifests);
    x.send(200, MediaTypes.OCI_INDEX, Json.write(body));
  }
}
