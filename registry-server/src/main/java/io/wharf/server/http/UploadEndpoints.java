package io.wharf.server.http;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import io.wharf.server.events.Event;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Blob uploads: {@code POST /v2/<name>/blobs/uploads/} (start, monolithic with {@code ?digest=},
 * or cross-repository mount with {@code ?mount=&from=}) and {@code /v2/<name>/blobs/uploads/<id>}
 * (GET status, PATCH chunk, PUT finish, DELETE cancel).
 */
final class UploadEndpoints {
  /** {@code start-end}, inclusive; tolerates a {@code bytes } or {@code bytes=} prefix and a {@code /total} suffix. */
  private static final Pattern CONTENT_RANGE = Pattern.compile("(?:bytes[ =])?\\s*(\\d+)-(\\d+)(?:/(?:\\d+|\\*))?");

  private UploadEndpoints() {}

  static void start(Exchange x) throws IOException {
    ImageName image = x.image();
    String mount = x.query("mount");
    if (mount != null) {
      Digest digest = Digest.parse(mount);
      String from = x.query("from");
      ImageName source = from != null && ImageName.isValid(from) ? ImageName.of(from) : null;
      Optional<Descriptor> mounted = x.repository.mountBlob(image, digest, source);
      if (mounted.isPresent()) {
        x.emit(Event.Action.MOUNT, image, null, digest.value(), mounted.get().mediaType(), mounted.get().size(),
            source == null ? null : source.value(), "blobs");
        sendBlobCreated(x, image, digest);
        return;
      }
      // not mountable: fall back to a normal upload session, as the spec says
    }
    String digestParam = x.query("digest");
    // validated before the session exists, so a refused request leaves nothing behind
    Digest digest = digestParam == null ? null : Digest.parse(digestParam);
    UploadSession session = x.repository.startUpload(image);
    if (digest == null) {
      sendSession(x, session, 202);
      return;
    }
    try (InputStream body = x.req.getInputStream()) {
      x.repository.finishUpload(image, session.id(), body, Chunk.ofLength(x.req.getContentLengthLong()), digest);
    } catch (IOException | RuntimeException e) {
      cancelQuietly(x, session);
      throw e;
    }
    sendBlobCreated(x, image, digest);
  }

  static void status(Exchange x) throws IOException {
    sendSession(x, x.repository.uploadStatus(x.image(), x.route.argument()), 204);
  }

  static void patch(Exchange x) throws IOException {
    ImageName image = x.image();
    Chunk chunk = chunk(x);
    UploadSession session;
    try (InputStream body = x.req.getInputStream()) {
      session = x.repository.appendUpload(image, x.route.argument(), body, chunk);
    }
    sendSession(x, session, 202);
  }

  static void finish(Exchange x) throws IOException {
    ImageName image = x.image();
    String digestParam = x.query("digest");
    if (digestParam == null) {
      throw ErrorCode.DIGEST_INVALID.exception("the closing PUT of an upload needs ?digest=<digest of the blob>");
    }
    Digest digest = Digest.parse(digestParam);
    Chunk chunk = chunk(x);
    try (InputStream body = x.req.getInputStream()) {
      x.repository.finishUpload(image, x.route.argument(), body, chunk, digest);
    }
    sendBlobCreated(x, image, digest);
  }

  static void cancel(Exchange x) throws IOException {
    x.repository.cancelUpload(x.image(), x.route.argument());
    x.sendEmpty(204);
  }

  /** What the request says about its bytes: Content-Range (start and length), else Content-Length. */
  private static Chunk chunk(Exchange x) {
    long contentLength = x.req.getContentLengthLong();
    String range = x.req.getHeader("Content-Range");
    if (range == null) {
      return Chunk.ofLength(contentLength);
    }
    Matcher m = CONTENT_RANGE.matcher(range.trim());
    if (!m.matches()) {
      throw ErrorCode.RANGE_INVALID.exception("malformed Content-Range " + range + ": expected <start>-<end>");
    }
    long start = Long.parseLong(m.group(1));
    long end = Long.parseLong(m.group(2));
    if (end < start) {
      throw ErrorCode.RANGE_INVALID.exception("Content-Range " + range + " ends before it starts");
    }
    long length = end - start + 1;
    if (contentLength >= 0 && contentLength != length) {
      throw ErrorCode.SIZE_INVALID.exception(
          "Content-Range " + range + " says " + length + " bytes but Content-Length says " + contentLength);
    }
    return new Chunk(start, length);
  }

  private static void sendSession(Exchange x, UploadSession session, int status) {
    x.resp.setHeader("Location", x.v2Path(x.clientName(session.image()) + "/blobs/uploads/" + session.id()));
    x.resp.setHeader("Docker-Upload-UUID", session.id());
    // distribution sends 0-0 for an empty upload; Docker parses "%d-%d", so never send "0--1"
    x.resp.setHeader("Range", "0-" + Math.max(0, session.size() - 1));
    x.sendEmpty(status);
  }

  private static void sendBlobCreated(Exchange x, ImageName image, Digest digest) {
    x.resp.setHeader("Location", x.v2Path(x.clientName(image) + "/blobs/" + digest.value()));
    x.resp.setHeader("Docker-Content-Digest", digest.value());
    x.sendEmpty(201);
  }

  private static void cancelQuietly(Exchange x, UploadSession session) {
    try {
      x.repository.cancelUpload(session.image(), session.id());
    } catch (IOException | RuntimeException ignored) {
      // already gone (a digest mismatch cancels it) or storage failing: nothing more to do
    }
  }
}
