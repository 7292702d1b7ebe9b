package io.wharf.storage.s3;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.storage.BlobStore;
import io.wharf.core.storage.StorageDriver.FileWriter;
import io.wharf.core.storage.StorageLayout;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import io.wharf.core.upload.UploadStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What the contract cannot see: multipart uploads that resume across writers and driver instances
 * ("nodes" sharing a bucket), what an upload in progress looks like in the bucket, multipart
 * copies, cancel, presigned redirects, the bounded part buffer, and the registry's own upload flow
 * ({@link UploadStore}) across two nodes. The part size is S3's minimum
 * (5 MiB), so a few MiB exercise every boundary.
 *
 * <p>This class's s3proxy keeps its strict header checking, which refuses the checksum header the
 * SDK puts on DeleteObjects: the driver's one-key-at-a-time fallback is tested here.
 */
class S3DriverMultipartTest {
  private static final int MIB = 1024 * 1024;
  private static final int PART = S3DriverConfig.MIN_PART_SIZE;
  private static final String DATA = "/docker/registry/v2/repositories/app/_uploads/u1/data";

  @RegisterExtension static final S3ProxyProcess S3 = new S3ProxyProcess(true);

  private final RequestLog requests = new RequestLog();
  private S3DriverConfig config;
  private S3Driver node1;
  private S3Driver node2;

  @BeforeEach
  void openNodes() {
    config = S3.config(S3ProxyProcess.uniquePrefix())
        .partSize(PART)
        .multipartCopyThreshold(PART)
        .multipartCopyPartSize(PART)
        .build();
    node1 = S3Driver.create(config, List.of(requests));
    node2 = S3Driver.create(config);
  }

  @AfterEach
  void closeNodes() {
    node1.close();
    node2.close();
  }

  @Test
  void writer_twentyMiBInSmallChunksAcrossReopensAndNodes_commitsAllBytes() throws Exception {
    long total = 20L * MIB + 12_345;
    int chunk = 1536 * 1024; // a PATCH of 1.5 MiB: several per part, so tails carry over
    Random random = new Random(1);
    MessageDigest written = MessageDigest.getInstance("SHA-256");
    long sent = 0;
    int round = 0;
    while (sent < total) {
      S3Driver node = round++ % 2 == 0 ? node1 : node2;
      S3Driver other = node == node1 ? node2 : node1;
      try (FileWriter w = node.writer(DATA, true)) {
        assertThat(w.size()).as("size found by the writer on round %d", round).isEqualTo(sent);
        int n = (int) Math.min(chunk, total - sent);
        writeRandom(w, random, n, written);
        sent += n;
        assertThat(w.size()).isEqualTo(sent);
      }
      assertThat(other.stat(DATA).orElseThrow().size()).as("size seen by the other node").isEqualTo(sent);
    }

    try (FileWriter w = node1.writer(DATA, true)) {
      assertThat(w.size()).isEqualTo(total);
      w.commit();
    }

    assertThat(node2.stat(DATA)).hasValueSatisfying(i -> assertThat(i.size()).isEqualTo(total));
    assertThat(sha256(node2, DATA)).isEqualTo(written.digest());
    assertThat(uploads(node1, DATA)).isEmpty();
    assertThat(metadata(node1, DATA)).doesNotContainKey(S3Driver.META_UPLOAD_ID);
  }

  @Test
  void writer_closedWithPartsAndTail_bucketHoldsMultipartUploadAndTailWithMarker() throws Exception {
    try (FileWriter w = node1.writer(DATA, false)) {
      writeRandom(w, new Random(2), 2 * PART + 100, null);
    }

    String key = node1.key(DATA);
    HeadObjectResponse tail = node1.client().headObject(b -> b.bucket(S3ProxyProcess.BUCKET).key(key));
    List<MultipartUpload> uploads = uploads(node1, DATA);
    assertThat(tail.contentLength()).isEqualTo(100);
    assertThat(uploads).singleElement().satisfies(u -> assertThat(u.key()).isEqualTo(key));
    assertThat(tail.metadata())
        .containsEntry(S3Driver.META_UPLOAD_ID, uploads.get(0).uploadId())
        .containsEntry(S3Driver.META_PARTS, "2")
        .containsEntry(S3Driver.META_PARTS_SIZE, Long.toString(2L * PART));
    assertThat(node2.stat(DATA)).hasValueSatisfying(i -> assertThat(i.size()).isEqualTo(2L * PART + 100));
    assertThat(node2.list("/docker/registry/v2/repositories/app/_uploads/u1")).containsExactly(DATA);
  }

  @Test
  void readerGetContentAndMove_largeUploadInProgress_refusedUntilCommitted() throws Exception {
    byte[] content = random(PART + 10, 3);
    try (FileWriter w = node1.writer(DATA, false)) {
      w.stream().write(content);
    }

    assertThatThrownBy(() -> node2.reader(DATA)).isInstanceOf(IOException.class).hasMessageContaining("in progress");
    assertThatThrownBy(() -> node2.getContent(DATA)).isInstanceOf(IOException.class).hasMessageContaining("in progress");
    assertThatThrownBy(() -> node2.move(DATA, "/blobs/x/data")).isInstanceOf(IOException.class);

    try (FileWriter w = node2.writer(DATA, true)) {
      w.commit();
    }
    assertThat(node1.getContent(DATA)).hasValueSatisfying(b -> assertThat(b).isEqualTo(content));
  }

  @Test
  void writer_diedAfterUploadingAPart_nextWriterResumesFromLastClose() throws Exception {
    Random random = new Random(4);
    MessageDigest written = MessageDigest.getInstance("SHA-256");
    try (FileWriter w = node1.writer(DATA, false)) {
      writeRandom(w, random, PART + 1000, written);
    }
    // A writer that uploads another part and dies (never closed): its bytes were never acknowledged.
    FileWriter dead = node1.writer(DATA, true);
    writeRandom(dead, new Random(99), PART + 5, null);

    try (FileWriter w = node2.writer(DATA, true)) {
      assertThat(w.size()).isEqualTo(PART + 1000);
      writeRandom(w, random, 2 * MIB, written);
      w.commit();
    }

    assertThat(node1.stat(DATA).orElseThrow().size()).isEqualTo(PART + 1000 + 2 * MIB);
    assertThat(sha256(node1, DATA)).isEqualTo(written.digest());
  }

  @Test
  void writer_appendToCommittedLargeObject_copiesItServerSideAndAppends() throws Exception {
    byte[] first = random(PART + 7, 5);
    byte[] second = random(300, 6);
    node1.putContent(DATA, first);

    try (FileWriter w = node2.writer(DATA, true)) {
      assertThat(w.size()).isEqualTo(first.length);
      w.commit(); // nothing appended: the object stays as it is
    }
    try (FileWriter w = node2.writer(DATA, true)) {
      w.stream().write(second);
      w.commit();
    }

    byte[] both = new byte[first.length + second.length];
    System.arraycopy(first, 0, both, 0, first.length);
    System.arraycopy(second, 0, both, first.length, second.length);
    assertThat(node1.getContent(DATA)).hasValueSatisfying(b -> assertThat(b).isEqualTo(both));
    assertThat(uploads(node1, DATA)).isEmpty();
  }

  @Test
  void move_objectOverCopyThreshold_multipartCopyKeepsBytesAndRemovesSource() throws Exception {
    byte[] content = random(2 * PART + PART / 2, 7); // 12.5 MiB: parts of 5 and 7.5 MiB
    node1.putContent(DATA, content);
    String target = "/docker/registry/v2/blobs/sha256/ab/abcd/data";
    requests.clear();

    node1.move(DATA, target);

    assertThat(requests.operations()).containsExactly("HeadObject", "CreateMultipartUpload", "UploadPartCopy",
        "UploadPartCopy", "CompleteMultipartUpload", "DeleteObject");
    assertThat(node2.getContent(target)).hasValueSatisfying(b -> assertThat(b).isEqualTo(content));
    assertThat(node2.stat(DATA)).isEmpty();
    assertThat(uploads(node1, target)).isEmpty();
  }

  @Test
  void cancel_largeUploadResumedOnOtherNode_leavesNoMultipartUploadAndNoKey() throws Exception {
    try (FileWriter w = node1.writer(DATA, false)) {
      writeRandom(w, new Random(8), 2 * PART + 3, null);
    }
    assertThat(uploads(node1, DATA)).hasSize(1);

    FileWriter w = node2.writer(DATA, true);
    writeRandom(w, new Random(9), PART, null); // uploads one more part first
    w.cancel();
    w.close();

    assertThat(uploads(node1, DATA)).isEmpty();
    assertThat(keys(node1)).isEmpty();
    assertThat(node1.stat(DATA)).isEmpty();
  }

  @Test
  void delete_uploadDirectoryInProgress_abortsItsMultipartUpload() throws Exception {
    try (FileWriter w = node1.writer(DATA, false)) {
      writeRandom(w, new Random(10), PART + 1, null);
    }
    node1.putContent("/docker/registry/v2/repositories/app/_uploads/u1/startedat", "now".getBytes(UTF_8));
    node1.putContent("/docker/registry/v2/repositories/app/_uploads/u2/startedat", "now".getBytes(UTF_8));

    // This s3proxy refuses DeleteObjects as the SDK sends it: the driver falls back to single deletes.
    node2.delete("/docker/registry/v2/repositories/app/_uploads/u1");

    assertThat(uploads(node1, DATA)).isEmpty();
    assertThat(node1.list("/docker/registry/v2/repositories/app/_uploads"))
        .containsExactly("/docker/registry/v2/repositories/app/_uploads/u2");
  }

  @Test
  void writer_truncatingLargeUploadInProgress_abortsItsMultipartUpload() throws Exception {
    try (FileWriter w = node1.writer(DATA, false)) {
      writeRandom(w, new Random(11), PART + 1, null);
    }

    try (FileWriter w = node2.writer(DATA, false)) {
      assertThat(w.size()).isZero();
      w.stream().write("new".getBytes(UTF_8));
      w.commit();
    }

    assertThat(uploads(node1, DATA)).isEmpty();
    assertThat(node1.getContent(DATA)).hasValueSatisfying(b -> assertThat(b).asString(UTF_8).isEqualTo("new"));
  }

  @Test
  void redirectUrl_enabled_presignedUrlServesTheObject() throws Exception {
    byte[] content = random(4096, 12);
    node1.putContent("/blobs/ab/data", content);
    try (S3Driver redirecting = S3Driver.create(config.toBuilder().redirect(true).redirectExpiry(Duration.ofMinutes(5)).build())) {
      URI url = redirecting.redirectUrl("/blobs/ab/data").orElseThrow();

      HttpResponse<byte[]> response = HttpClient.newHttpClient()
          .send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofByteArray());

      assertThat(url.getQuery()).contains("X-Amz-Signature=").contains("X-Amz-Expires=300");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo(content);
    }
    assertThat(node1.redirectUrl("/blobs/ab/data")).isEmpty(); // off by default
  }

  @Test
  void writer_twentyMiB_partBufferIsTheOnlyLargeAllocation() throws Exception {
    // Constant memory by construction: one array of partSize bytes, allocated at the first byte and
    // reused for every part; the request bodies stream from it without copying (S3Driver.body).
    try (FileWriter w = node1.writer(DATA, false)) {
      S3Writer writer = (S3Writer) w;
      assertThat(writer.buffer()).as("no buffer before the first byte").isNull();
      byte[] chunk = new byte[64 * 1024];
      byte[] buffer = null;
      for (int i = 0; i < 20 * MIB / chunk.length; i++) {
        w.stream().write(chunk);
        buffer = buffer == null ? writer.buffer() : buffer;
        assertThat(writer.buffer()).isSameAs(buffer);
      }
      assertThat(buffer).hasSize(PART);
      assertThat(writer.uploadId()).isNotNull();
      w.commit();
    }
    assertThat(requests.count("UploadPart")).isEqualTo(4);
    requests.clear();
    assertThat(node1.stat(DATA).orElseThrow().size()).isEqualTo(20L * MIB);
    assertThat(requests.operations()).as("stat of an object is one HEAD").containsExactly("HeadObject");
  }

  @Test
  void uploadStore_chunkedUploadStartedOnOneNodeFinishedOnAnother_storesBlob() throws Exception {
    StorageLayout layout = new StorageLayout();
    ImageName image = ImageName.of("team/app");
    UploadStore store1 = new UploadStore(node1, layout, new BlobStore(node1, layout));
    UploadStore store2 = new UploadStore(node2, layout, new BlobStore(node2, layout));
    byte[] blob = random(3 * PART + 4321, 13);
    Digest digest = Digest.sha256(blob);

    UploadSession session = store1.start(image);
    int chunk = 1024 * 1024 + 17;
    int offset = 0;
    for (int i = 0; offset < blob.length - chunk; i++, offset += chunk) {
      UploadStore store = i % 2 == 0 ? store1 : store2; // a load balancer alternating between nodes
      UploadSession s = store.append(image, session.id(), new ByteArrayInputStream(blob, offset, chunk),
          new Chunk(offset, chunk));
      assertThat(s.size()).isEqualTo(offset + chunk);
    }
    assertThat(store1.status(image, session.id()).size()).isEqualTo(offset);
    Descriptor stored = store2.finish(image, session.id(),
        new ByteArrayInputStream(blob, offset, blob.length - offset), Chunk.ofLength(blob.length - offset), digest);

    assertThat(stored.size()).isEqualTo(blob.length);
    BlobStore blobs = new BlobStore(node1, layout);
    assertThat(blobs.get(image, digest)).hasValueSatisfying(b -> assertThat(b.descriptor().size()).isEqualTo(blob.length));
    assertThat(sha256(node1, layout.blobData(digest))).isEqualTo(MessageDigest.getInstance("SHA-256").digest(blob));
    assertThat(node1.list(layout.imageRoot(image) + "/_uploads")).isEmpty();
    assertThat(node1.client().listMultipartUploads(b -> b.bucket(S3ProxyProcess.BUCKET).prefix(config.prefix() + "/"))
        .uploads()).isEmpty();
  }

  // --- helpers -------------------------------------------------------------------------------

  /** The operation names of the SDK requests a driver made. */
  private static final class RequestLog implements ExecutionInterceptor {
    private final List<String> operations = new CopyOnWriteArrayList<>();

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
      operations.add(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
    }

    List<String> operations() {
      return List.copyOf(operations);
    }

    long count(String operation) {
      return operations.stream().filter(operation::equals).count();
    }

    void clear() {
      operations.clear();
    }
  }

  private static void writeRandom(FileWriter w, Random random, int n, MessageDigest md) throws IOException {
    byte[] buf = new byte[64 * 1024];
    for (int left = n; left > 0; ) {
      int len = Math.min(buf.length, left);
      random.nextBytes(buf);
      w.stream().write(buf, 0, len);
      if (md != null) {
        md.update(buf, 0, len);
      }
      left -= len;
    }
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] sha256(S3Driver driver, String path) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (SeekableByteChannel ch = driver.reader(path)) {
      ByteBuffer buf = ByteBuffer.allocate(128 * 1024);
      while (ch.read(buf) >= 0) {
        buf.flip();
        md.update(buf);
        buf.clear();
      }
    }
    return md.digest();
  }

  private static List<MultipartUpload> uploads(S3Driver driver, String path) {
    String key = driver.key(path);
    return driver.client().listMultipartUploads(b -> b.bucket(S3ProxyProcess.BUCKET).prefix(key)).uploads().stream()
        .filter(u -> u.key().equals(key))
        .toList();
  }

  private List<String> keys(S3Driver driver) {
    return driver.client().listObjectsV2(b -> b.bucket(S3ProxyProcess.BUCKET).prefix(config.prefix() + "/"))
        .contents().stream().map(S3Object::key).toList();
  }

  private static Map<String, String> metadata(S3Driver driver, String path) {
    return driver.client().headObject(b -> b.bucket(S3ProxyProcess.BUCKET).key(driver.key(path))).metadata();
  }
}
