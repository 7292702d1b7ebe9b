package io.wharf.server.http;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.manifest.Manifest;
import io.wharf.core.manifest.ManifestParser;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Reference;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.PushedManifest;
import io.wharf.server.events.Event;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/** {@code /v2/<name>/manifests/<reference>}: GET, HEAD, PUT, DELETE. */
final class ManifestEndpoints {
  private ManifestEndpoints() {}

  static void get(Exchange x) throws IOException {
    ImageName image = x.image();
    Reference ref = readReference(x.route.argument());
    Optional<Manifest> found = ref == null ? Optional.empty() : x.repository.getManifest(image, ref);
    Manifest m = found.orElseThrow(() -> ErrorCode.MANIFEST_UNKNOWN.exception(
        "manifest " + x.route.argument() + " is unknown in " + image));
    String etag = "\"" + m.digest().value() + "\"";
    x.resp.setHeader("Docker-Content-Digest", m.digest().value());
    x.resp.setHeader("ETag", etag);
    if (etag.equals(x.req.getHeader("If-None-Match"))) {
      Exchange.applyWarnings(x.resp);
      x.resp.setStatus(304);
      return;
    }
    if (!x.isHead()) {
      x.emit(Event.Action.PULL, image, ref instanceof Tag t ? t.value() : null, m.digest().value(), m.mediaType(),
          (long) m.bytes().length, null, "manifests");
    }
    x.send(200, m.mediaType(), m.bytes());
  }

  static void put(Exchange x) throws IOException {
    ImageName image = x.image();
    Reference ref = Reference.parse(x.route.argument());
    byte[] body = readCapped(x);
    PushedManifest pushed = x.repository.putManifest(image, ref, x.req.getContentType(), body);
    new ManifestChange(x.repository, image).recordOn(x.req);
    String digest = pushed.descriptor().digest().value();
    x.emit(Event.Action.PUSH, image, ref instanceof Tag t ? t.value() : null, digest, pushed.descriptor().mediaType(),
        pushed.descriptor().size(), null, "manifests");
    x.resp.setHeader("Location", x.v2Path(x.clientName(image) + "/manifests/" + digest));
    x.resp.setHeader("Docker-Content-Digest", digest);
    pushed.subject().ifPresent(s -> x.resp.setHeader("OCI-Subject", s.value()));
    x.sendEmpty(201);
  }

  static void delete(Exchange x) throws IOException {
    ImageName image = x.image();
    Reference ref = readReference(x.route.argument());
    if (ref == null) {
      throw ErrorCode.MANIFEST_UNKNOWN.exception("manifest " + x.route.argument() + " is unknown in " + image);
    }
    x.repository.deleteManifest(image, ref);
    x.emit(Event.Action.DELETE, image, ref instanceof Tag t ? t.value() : null,
        ref instanceof Digest d ? d.value() : null, null, null, null, "manifests");
    new ManifestChange(x.repository, image).recordOn(x.req);
    x.sendEmpty(202);
  }

  /**
   * A reference for reading: a malformed digest is {@code DIGEST_INVALID} (400), a string that
   * cannot be a tag is simply not found ({@code null}), as the conformance suite expects.
   */
  private static Reference readReference(String s) {
    if (s.indexOf(':') >= 0) {
      return Digest.parse(s);
    }
    return Tag.isValid(s) ? Tag.of(s) : null;
  }

  /** Reads the body, refusing more than {@link ManifestParser#MAX_MANIFEST_BYTES} without reading it all. */
  private static byte[] readCapped(Exchange x) throws IOException {
    int max = ManifestParser.MAX_MANIFEST_BYTES;
    long declared = x.req.getContentLengthLong();
    if (declared > max) {
      throw tooLarge(declared);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 8192);
    byte[] buf = new byte[16 * 1024];
    try (InputStream in = x.req.getInputStream()) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        if (out.size() > max) {
          throw tooLarge(out.size());
        }
      }
    }
    if (out.size() == 0) {
      throw ErrorCode.MANIFEST_INVALID.exception("manifest body is empty");
    }
    return out.toByteArray();
  }

  private static RegistryException tooLarge(long size) {
    return ErrorCode.MANIFEST_TOO_LARGE.exception(
        "manifest of " + size + "+ bytes exceeds the limit of " + ManifestParser.MAX_MANIFEST_BYTES + " bytes");
  }
}
