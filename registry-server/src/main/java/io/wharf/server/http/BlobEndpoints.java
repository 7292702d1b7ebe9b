package io.wharf.server.http;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.repository.Blob;
import io.wharf.server.events.Event;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.util.Optional;

/** {@code /v2/<name>/blobs/<digest>}: GET (with ranges), HEAD, DELETE. */
final class BlobEndpoints {
  private BlobEndpoints() {}

  static void get(Exchange x) throws IOException {
    ImageName image = x.image();
    Digest digest = Digest.parse(x.route.argument());
    Blob blob = x.repository.getBlob(image, digest)
        .orElseThrow(() -> ErrorCode.BLOB_UNKNOWN.exception("blob " + digest + " is unknown in " + image));
    if (!x.isHead()) {
      Optional<URI> redirect = blob.redirectUrl();
      if (redirect.isPresent()) {
        Exchange.applyWarnings(x.resp);
        x.resp.setStatus(307);
        x.resp.setHeader("Location", redirect.get().toString());
        x.resp.setHeader("Docker-Content-Digest", digest.value());
        return;
      }
    }
    long size = blob.descriptor().size();
    x.resp.setHeader("Docker-Content-Digest", digest.value());
    x.resp.setHeader("ETag", "\"" + digest.value() + "\"");
    x.resp.setHeader("Accept-Ranges", "bytes");
    x.resp.setHeader("Cache-Control", "max-age=31536000");
    x.resp.setContentType("application/octet-stream");
    ByteRange range = ByteRange.parse(x.req.getHeader("Range"), size);
    long start = 0;
    long length = size;
    if (range != null) {
      start = range.start();
      length = range.length();
      x.resp.setStatus(206);
      x.resp.setHeader("Content-Range", "bytes " + range.start() + "-" + range.endInclusive() + "/" + size);
    } else {
      x.resp.setStatus(200);
    }
    x.resp.setContentLengthLong(length);
    Exchange.applyWarnings(x.resp);
    if (x.isHead() || length == 0) {
      return;
    }
    try (SeekableByteChannel channel = blob.open()) {
      BlobSender.send(channel, start, length, x.resp.getOutputStream());
    }
  }

  static void delete(Exchange x) throws IOException {
    ImageName image = x.image();
    Digest digest = Digest.parse(x.route.argument());
    x.repository.deleteBlob(image, digest);
    x.emit(Event.Action.DELETE, image, null, digest.value(), null, null, null, "blobs");
    x.sendEmpty(202);
  }
}
