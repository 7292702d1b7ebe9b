package io.wharf.server.admin;

import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The id of a Nexus component (a tag) or of its asset (the tag's manifest): opaque to clients,
 * URL-safe, and stable (the same tag always has the same id, on every node, across restarts), so
 * a script may list on one node and delete on another. It is the base64url of
 * {@code <kind>\n<repository>\n<image>\n<tag>}; nothing is stored for it.
 */
record ComponentId(Kind kind, String repository, String image, String tag) {
  enum Kind {
    COMPONENT('c'), ASSET('a');

    final char prefix;

    Kind(char prefix) {
      this.prefix = prefix;
    }
  }

  String encode() {
    String raw = kind.prefix + "\n" + repository + "\n" + image + "\n" + tag;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  ComponentId as(Kind other) {
    return new ComponentId(other, repository, image, tag);
  }

  /**
   * Decodes an id of {@code kind}.
   *
   * @throws ManagementException {@code UNPROCESSABLE} (422, as Nexus answers) for anything that is
   *     not such an id
   */
  static ComponentId decode(String id, Kind kind) {
    String raw;
    try {
      raw = new String(Base64.getUrlDecoder().decode(id), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw malformed(id, kind);
    }
    String[] parts = raw.split("\n", -1);
    if (parts.length != 4 || parts[0].length() != 1 || parts[0].charAt(0) != kind.prefix || parts[1].isEmpty()
        || !ImageName.isValid(parts[2]) || !Tag.isValid(parts[3])) {
      throw malformed(id, kind);
    }
    return new ComponentId(kind, parts[1], parts[2], parts[3]);
  }

  private static ManagementException malformed(String id, Kind kind) {
    String what = kind == Kind.COMPONENT ? "component" : "asset";
    return new ManagementException(ManagementException.Reason.UNPROCESSABLE,
        "malformed " + what + " id " + (id.length() > 100 ? id.substring(0, 100) + "…" : id)
            + ": use an id from a " + what + " listing or search");
  }
}
