package io.wharf.server.admin;

import io.wharf.core.model.Digest;
import java.util.Locale;
import java.util.function.Function;

/**
 * The criteria of a Nexus search ({@code GET /v1/search}), checked: values match exactly unless
 * they end in {@code *} (a prefix of at least {@value #MIN_PREFIX} characters, as Nexus 3.96
 * requires), {@code sort} is one of Nexus's keys, {@code direction} asc or desc.
 *
 * @param repository null: every repository the caller may read
 * @param name image name ({@code name} or {@code docker.imageName}); null: any
 * @param version tag ({@code version} or {@code docker.imageTag}); null: any
 * @param digest the manifest digest ({@code docker.contentDigest}, or {@code sha256} as hex); null: any
 * @param keyword {@code q}: a text the name or version contains (case-insensitive); null: any
 * @param none true when a criterion no Docker component can meet was given (another format, a
 *     group, an md5 or sha1 checksum): the search finds nothing
 * @param sort null: the natural order (repository, name, version)
 * @param descending {@code direction=desc}: the sort reversed
 */
public record SearchQuery(String repository, Match name, Match version, Digest digest, String keyword, boolean none,
    Sort sort, boolean descending) {
  static final int MIN_PREFIX = 3;

  /** Nexus's sort keys; {@code group} is always "" for Docker, so it sorts as the natural order. */
  public enum Sort {
    /** By image name, then tag and repository. */
    NAME,
    /** By tag, then image name and repository. */
    VERSION,
    /** By repository, then image name and tag: the natural order. */
    REPOSITORY,
    /** As {@link #REPOSITORY}. */
    GROUP
  }

  /**
   * An exact value, or a prefix (the value ended in {@code *}).
   *
   * @param text the value, without the {@code *}
   * @param prefix true: names or tags starting with {@code text} match
   */
  public record Match(String text, boolean prefix) {
    boolean test(String s) {
      return prefix ? s.startsWith(text) : s.equals(text);
    }
  }

  /** Reads and checks the criteria; {@code param} gives a query parameter's value or null. */
  static SearchQuery parse(Function<String, String> param) {
    String repository = param.apply("repository");
    Match name = match("name", param.apply("name"));
    Match imageName = match("docker.imageName", param.apply("docker.imageName"));
    Match version = match("version", param.apply("version"));
    Match imageTag = match("docker.imageTag", param.apply("docker.imageTag"));
    boolean none = false;
    if (name != null && imageName != null && !name.equals(imageName)) {
      none = true; // both given and different: nothing has two names
    }
    if (version != null && imageTag != null && !version.equals(imageTag)) {
      none = true;
    }
    String format = param.apply("format");
    if (format != null && !format.equalsIgnoreCase(RepositoryService.FORMAT)) {
      none = true;
    }
    String group = param.apply("group");
    if (group != null && !group.isEmpty()) {
      none = true; // Docker components have group ""
    }
    if (param.apply("md5") != null || param.apply("sha1") != null || param.apply("docker.layerId") != null) {
      none = true; // checksums Wharf does not keep; layers are no components
    }
    Digest digest = null;
    String contentDigest = param.apply("docker.contentDigest");
    if (contentDigest != null) {
      digest = digest("docker.contentDigest", contentDigest);
    }
    for (String alg : new String[] {"sha256", "sha512"}) {
      String hex = param.apply(alg);
      if (hex != null) {
        Digest d = digest(alg, alg + ":" + hex.toLowerCase(Locale.ROOT));
        if (digest != null && !digest.equals(d)) {
          none = true;
        }
        digest = d;
      }
    }
    String q = param.apply("q");
    String keyword = null;
    if (q != null) {
      Match m = match("q", q);
      keyword = m.text().toLowerCase(Locale.ROOT);
    }
    Sort sort = null;
    String s = param.apply("sort");
    if (s != null) {
      try {
        sort = Sort.valueOf(s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw ManagementException.invalid("PARAMETER sort", "unknown sort " + s + "; use name, version, repository or group");
      }
    }
    String direction = param.apply("direction");
    boolean descending;
    if (direction == null) {
      descending = false;
    } else if (direction.equalsIgnoreCase("asc") || direction.equalsIgnoreCase("desc")) {
      descending = direction.equalsIgnoreCase("desc");
    } else {
      throw ManagementException.invalid("PARAMETER direction", "unknown direction " + direction + "; use asc or desc");
    }
    return new SearchQuery(repository, name != null ? name : imageName, version != null ? version : imageTag, digest,
        keyword, none, sort, descending);
  }

  private static Match match(String param, String value) {
    if (value == null) {
      return null;
    }
    int star = value.indexOf('*');
    if (star < 0) {
      return new Match(value, false);
    }
    if (star != value.length() - 1) {
      throw ManagementException.invalid("PARAMETER " + param,
          "a wildcard is only supported at the end of a value (" + value + ")");
    }
    if (star < MIN_PREFIX) {
      throw ManagementException.invalid("PARAMETER " + param,
          "a wildcard needs at least " + MIN_PREFIX + " characters before the * (" + value + ")");
    }
    return new Match(value.substring(0, star), true);
  }

  private static Digest digest(String param, String value) {
    try {
      return Digest.parse(value);
    } catch (RuntimeException e) {
      throw ManagementException.invalid("PARAMETER " + param, "not a digest: " + value);
    }
  }
}
