package io.wharf.server.admin;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Wharf's image endpoints over {@link ImageService} (image names may have slashes, so the path
 * is read from its end):
 * <pre>
 * GET /v1/repositories/{repo}/images?name=&amp;limit=&amp;continuationToken=                  images (prefix filter)
 * GET /v1/repositories/{repo}/images/{name...}/tags?filter=tagged|untagged|all&amp;name=
 *       &amp;sort=name|pushed|size&amp;direction=asc|desc&amp;limit=&amp;continuationToken=            tags with sizes
 * GET /v1/repositories/{repo}/images/{name...}/manifests/{tag or digest}                one manifest in detail
 * </pre>
 */
final class ImageEndpoints implements RestEndpoints {
  private final ImageService images;

  ImageEndpoints(ImageService images) {
    this.images = Objects.requireNonNull(images);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    List<String> s = call.segments();
    if (s.size() < 4 || !s.get(0).equals("v1") || !s.get(1).equals("repositories") || !s.get(3).equals("images")) {
      return false;
    }
    String repository = s.get(2);
    int n = s.size();
    if (n == 4) {
      call.allow("GET");
      call.send(images.images(call.caller(), repository, call.query("name"), intParam(call, "limit"),
          call.query("continuationToken")));
    } else if (n >= 6 && s.get(n - 1).equals("tags")) {
      call.allow("GET");
      String image = String.join("/", s.subList(4, n - 1));
      call.send(images.tags(call.caller(), repository, image,
          choice(call, "filter", ImageService.TagFilter.class, ImageService.TagFilter.TAGGED), call.query("name"),
          choice(call, "sort", ImageService.TagSort.class, ImageService.TagSort.NAME), descending(call),
          intParam(call, "limit"), call.query("continuationToken")));
    } else if (n >= 7 && s.get(n - 2).equals("manifests")) {
      call.allow("GET");
      String image = String.join("/", s.subList(4, n - 2));
      call.send(images.detail(call.caller(), repository, image, s.get(n - 1)));
    } else {
      return false;
    }
    return true;
  }

  private static <E extends Enum<E>> E choice(RestCall call, String param, Class<E> type, E fallback) {
    String v = call.query(param);
    if (v == null) {
      return fallback;
    }
    try {
      return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      List<String> allowed = java.util.Arrays.stream(type.getEnumConstants())
          .map(c -> c.name().toLowerCase(Locale.ROOT)).toList();
      throw ManagementException.invalid(param, "unknown " + param + " " + v + "; use one of " + allowed);
    }
  }

  private static boolean descending(RestCall call) {
    String v = call.query("direction");
    if (v == null || v.equalsIgnoreCase("asc")) {
      return false;
    }
    if (v.equalsIgnoreCase("desc")) {
      return true;
    }
    throw ManagementException.invalid("direction", "unknown direction " + v + "; use asc or desc");
  }

  private static int intParam(RestCall call, String param) {
    String v = call.query(param);
    if (v == null) {
      return 0;
    }
    try {
      int n = Integer.parseInt(v);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // falls through
    }
    throw ManagementException.invalid(param, param + " must be a positive number, not " + v);
  }
}
