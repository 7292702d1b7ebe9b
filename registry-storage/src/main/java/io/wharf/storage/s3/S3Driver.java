package io.wharf.storage.s3;

import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.PathNotFoundException;
import io.wharf.core.storage.StorageFullException;
import io.wharf.core.storage.StorageDriver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * A driver over an S3 bucket: AWS, or an S3-compatible store (MinIO, Ceph RGW, s3proxy) reached
 * through {@link S3DriverConfig#endpoint()}. Several registry nodes may share one bucket: nothing
 * this driver needs lives only in one JVM, so an upload that starts on one node continues and
 * finishes on another.
 *
 * <p><b>Keys.</b> The path {@code /a/b} is the key {@code <prefix>/a/b} (or {@code a/b} without a
 * prefix), so CNCF distribution's s3 driver with the same {@code rootdirectory} reads the same
 * objects. A directory is a key prefix: {@code /a} exists while some key starts with
 * {@code <prefix>/a/}, and disappears with its last key.
 *
 * <p><b>Atomicity.</b> {@link #putContent} is one PutObject and {@link #move} one CopyObject (or a
 * multipart copy for objects over {@link S3DriverConfig#multipartCopyThreshold()}) followed by a
 * delete of the source: S3 shows the target whole or not at all, but the move as a whole is not
 * atomic (for a moment both keys exist).
 *
 * <p><b>Writers.</b> S3 objects are immutable and every multipart part but the last must be at
 * least 5 MiB, so an appendable writer that a process on another node can resume is built like
 * distribution's s3-aws driver. A writer holds one buffer of {@link S3DriverConfig#partSize()}
 * bytes (allocated on the first byte: the only large allocation, so memory is constant whatever the
 * object's size); each time it fills, it is uploaded as the next part of a multipart upload on the
 * object's key. What an object looks like in the bucket:
 *
 * <pre>
 *  small, in progress      &lt;key&gt;   a plain object with the bytes so far (fewer than partSize,
 *  (no part uploaded yet)            no part ever uploaded); readable like any object
 *
 *  large, in progress      multipart upload on &lt;key&gt;   parts 1..n, each of some writer's partSize
 *  (closed, not committed) &lt;key&gt;   the tail: the bytes after part n (fewer than partSize), with
 *                                  x-amz-meta-wharf-upload-id:         the multipart upload's id
 *                                  x-amz-meta-wharf-upload-parts:      n
 *                                  x-amz-meta-wharf-upload-parts-size: bytes in parts 1..n
 *
 *  committed               &lt;key&gt;   a plain object with every byte: CompleteMultipartUpload
 *                                  replaced the tail in one step
 * </pre>
 *
 * <p>So one HEAD answers {@link #stat}: an in-progress object's size is its parts plus its tail.
 * {@link FileWriter#close()} writes the tail object last, which makes it the commit point of each
 * chunk: a writer that dies before closing leaves the previous tail and part count in place, and
 * the parts it uploaded beyond part n are ignored, then overwritten by the next writer.
 * {@code writer(path, true)} reads the tail's metadata, lists parts 1..n (for their ETags) and
 * loads the tail into its buffer. Each
 * resume therefore reads and rewrites up to one part of bytes: that is the price of S3's minimum
 * part size for clients that upload in small chunks. The parts of an unfinished multipart upload
 * cannot be read on S3, so {@link #reader}, {@link #getContent} and {@link #move} refuse a large
 * object in progress with an {@link IOException}; they work once it is committed. {@link #delete}
 * and {@link FileWriter#cancel()} abort the multipart uploads of what they delete. A multipart
 * upload whose writer died before its first close references no tail: configure the bucket's
 * lifecycle rule {@code AbortIncompleteMultipartUpload} to reclaim those.
 *
 * <p>One writer per path at a time: two concurrent writers of one upload race (the registry
 * serialises the chunks of an upload within a node; across nodes, clients send one chunk at a time).
 *
 * <p><b>What the store must offer</b>: multipart uploads with ListParts, UploadPartCopy, user
 * metadata, and If-Match on GET and copy (AWS, MinIO, Ceph RGW and s3proxy all do). Without
 * ListMultipartUploads only the cleanup of uploads abandoned by dead writers is lost. A store that
 * refuses the SDK's checksum header on DeleteObjects (s3proxy unless
 * {@code s3proxy.ignore-unknown-headers=true}) gets one DeleteObject per key instead.
 *
 * <p>Errors of the SDK (unchecked) are rethrown as {@link IOException}s naming the key.
 */
public final class S3Driver implements StorageDriver, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(S3Driver.class);

  static final String META_UPLOAD_ID = "wharf-upload-id";
  static final String META_PARTS = "wharf-upload-parts";
  static final String META_PARTS_SIZE = "wharf-upload-parts-size";

  static final int MAX_PARTS = 10_000;
  private static final int DELETE_BATCH = 1000;
  private static final String OCTET_STREAM = "application/octet-stream";
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

  final S3DriverConfig config;
  final S3Client s3;
  private final S3Presigner presigner; // null unless redirects are on
  private final AwsCredentialsProvider credentials; // the client does not close one it was given
  final String bucket;
  private final String root; // "" or "<prefix>/"
  private volatile boolean batchDelete = true; // false once the store refused a DeleteObjects

  private S3Driver(S3DriverConfig config, S3Client s3, S3Presigner presigner, AwsCredentialsProvider credentials) {
    this.config = config;
    this.s3 = s3;
    this.presigner = presigner;
    this.credentials = credentials;
    this.bucket = config.bucket();
    this.root = config.prefix().isEmpty() ? "" : config.prefix() + "/";
  }

  /**
   * A driver with its own S3 client on the Apache HttpClient 5 transport. Close it to release the
   * connection pool.
   *
   * @param config the bucket and how to reach it
   * @return the driver; nothing is sent to S3 until it is used
   */
  public static S3Driver create(S3DriverConfig config) {
    return create(config, List.of());
  }

  /** With SDK interceptors: tests count the requests an operation makes. */
  static S3Driver create(S3DriverConfig config, List<ExecutionInterceptor> interceptors) {
    AwsCredentialsProvider credentials;
    if (!config.hasStaticCredentials()) {
      credentials = DefaultCredentialsProvider.builder().build();
    } else if (config.sessionToken() != null) {
      credentials = StaticCredentialsProvider.create(
          AwsSessionCredentials.create(config.accessKey(), config.secretKey(), config.sessionToken()));
    } else {
      credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(config.accessKey(), config.secretKey()));
    }
    S3ClientBuilder builder = S3Client.builder()
        .httpClientBuilder(Apache5HttpClient.builder().maxConnections(config.maxConnections()))
        .region(Region.of(config.region()))
        .forcePathStyle(config.pathStyle())
        .credentialsProvider(credentials)
        // The SDK's default flexible checksums (aws-chunked bodies with a trailer) are refused by
        // S3-compatible stores ("x-amz-content-sha256 does not match"). The registry verifies every
        // blob's digest itself, so checksums only where an operation requires one.
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        // DeleteObjects requires a checksum. The SDK sends a CRC32 header that stores predating
        // flexible checksums do not know; this adds the classic Content-MD5 they all check. Stores
        // that refuse the CRC32 header outright get single deletes (deleteObjects).
        .addPlugin(LegacyMd5Plugin.create());
    if (config.endpoint() != null) {
      builder.endpointOverride(config.endpoint());
    }
    if (!interceptors.isEmpty()) {
      builder.overrideConfiguration(o -> interceptors.forEach(o::addExecutionInterceptor));
    }
    S3Presigner presigner = null;
    if (config.redirect()) {
      S3Presigner.Builder p = S3Presigner.builder()
          .region(Region.of(config.region()))
          .credentialsProvider(credentials)
          .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(config.pathStyle()).build());
      if (config.endpoint() != null) {
        p.endpointOverride(config.endpoint());
      }
      presigner = p.build();
    }
    return new S3Driver(config, builder.build(), presigner, credentials);
  }

  @Override
  public String name() {
    return "s3";
  }

  /** {@return the configuration the driver was created with} */
  public S3DriverConfig config() {
    return config;
  }

  /** For tests in this package, to look at the bucket behind the driver's back. */
  S3Client client() {
    return s3;
  }

  /** The key of an SPI path. */
  String key(String path) {
    return root + path.substring(1);
  }

  @Override
  public Optional<FileInfo> stat(String path) throws IOException {
    String key = key(path);
    return io("stat", key, () -> {
      Optional<HeadObjectResponse> head = head(key);
      if (head.isPresent()) {
        HeadObjectResponse h = head.get();
        long parts = Marker.of(key, h.metadata()).map(Marker::partsSize).orElse(0L);
        return Optional.of(new FileInfo(path, parts + h.contentLength(), h.lastModified(), false));
      }
      ListObjectsV2Response below = s3.listObjectsV2(b -> b.bucket(bucket).prefix(key + "/").maxKeys(1));
      if (below.contents().isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(new FileInfo(path, 0, below.contents().get(0).lastModified(), true));
    });
  }

  @Override
  public Optional<byte[]> getContent(String path) throws IOException {
    String key = key(path);
    return io("get", key, () -> {
      ResponseInputStream<GetObjectResponse> in;
      try {
        in = s3.getObject(b -> b.bucket(bucket).key(key));
      } catch (S3Exception e) {
        if (e.statusCode() == 404) {
          return Optional.empty();
        }
        throw e;
      }
      try (in) {
        if (Marker.of(key, in.response().metadata()).isPresent()) {
          in.abort();
          throw inProgress(path);
        }
        return Optional.of(in.readAllBytes());
      }
    });
  }

  @Override
  public void putContent(String path, byte[] content) throws IOException {
    String key = key(path);
    io("put", key, () -> s3.putObject(putRequest(key, false).build(), body(content, content.length)));
  }

  @Override
  public SeekableByteChannel reader(String path) throws IOException {
    String key = key(path);
    return io("open", key, () -> {
      HeadObjectResponse h = head(key).orElseThrow(() -> new PathNotFoundException(path));
      if (Marker.of(key, h.metadata()).isPresent()) {
        throw inProgress(path);
      }
      return new S3Reader(this, key, h.contentLength(), h.eTag());
    });
  }

  @Override
  public FileWriter writer(String path, boolean append) throws IOException {
    String key = key(path);
    return io("open writer", key, () -> S3Writer.open(this, path, key, append));
  }

  @Override
  public List<String> list(String dir) throws IOException {
    String prefix = key(dir) + "/";
    return io("list", prefix, () -> {
      TreeSet<String> children = new TreeSet<>();
      for (ListObjectsV2Response page : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix).delimiter("/"))) {
        for (S3Object o : page.contents()) {
          addChild(children, dir, o.key().substring(prefix.length()));
        }
        for (CommonPrefix p : page.commonPrefixes()) {
          String name = p.prefix().substring(prefix.length());
          addChild(children, dir, name.endsWith("/") ? name.substring(0, name.length() - 1) : name);
        }
      }
      return new ArrayList<>(children);
    });
  }

  /**
   * Keys that no valid path maps to (a {@code dir/} marker some consoles create, names with other
   * characters written by other tools) are skipped: the SPI could not address them anyway.
   */
  private static void addChild(TreeSet<String> children, String dir, String name) {
    if (SEGMENT.matcher(name).matches() && !name.equals(".") && !name.equals("..")) {
      children.add(dir + "/" + name);
    }
  }

  @Override
  public void move(String from, String to) throws IOException {
    String source = key(from);
    String target = key(to);
    io("move to " + target + " from", source, () -> {
      HeadObjectResponse h = head(source).orElseThrow(() -> new PathNotFoundException(from));
      if (Marker.of(source, h.metadata()).isPresent()) {
        throw inProgress(from);
      }
      if (source.equals(target)) {
        return null; // S3 refuses a copy onto itself, and the delete would lose the object
      }
      if (h.contentLength() > config.multipartCopyThreshold()) {
        multipartCopy(source, h, target);
      } else {
        // If-Match: a source replaced between HEAD and copy fails the move instead of copying other bytes.
        s3.copyObject(copyRequest(source, target).copySourceIfMatch(h.eTag()).build());
      }
      s3.deleteObject(b -> b.bucket(bucket).key(source));
      return null;
    });
  }

  private void multipartCopy(String source, HeadObjectResponse h, String target) {
    String uploadId = s3.createMultipartUpload(createMultipartRequest(target).build()).uploadId();
    try {
      List<CompletedPart> parts = new ArrayList<>();
      copyParts(source, h, target, uploadId, parts);
      s3.completeMultipartUpload(b -> b.bucket(bucket).key(target).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
    } catch (RuntimeException e) {
      abortQuietly(target, uploadId);
      throw e;
    }
  }

  /**
   * Appends {@code source} to the multipart upload as parts of about
   * {@link S3DriverConfig#multipartCopyPartSize()}. A remainder under 5 MiB joins the last part, so
   * more parts may follow. Needs a source of at least 5 MiB.
   */
  void copyParts(String source, HeadObjectResponse h, String target, String uploadId, List<CompletedPart> parts) {
    long size = h.contentLength();
    // Raised if needed to stay within S3's 10,000 parts (a 5 TiB object needs 525 MiB parts), with
    // one part number left for a writer to append after the copy.
    long minForLimit = (size + MAX_PARTS - 2) / (MAX_PARTS - 1);
    long partSize = Math.max(config.multipartCopyPartSize(), minForLimit);
    for (long start = 0; start < size; ) {
      long end = Math.min(start + partSize, size);
      if (size - end < S3DriverConfig.MIN_PART_SIZE) {
        end = size;
      }
      int number = parts.size() + 1;
      String range = "bytes=" + start + "-" + (end - 1);
      String etag = s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey(source).copySourceIfMatch(h.eTag())
              .destinationBucket(bucket).destinationKey(target).uploadId(uploadId).partNumber(number)
              .copySourceRange(range))
          .copyPartResult().eTag();
      parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
      start = end;
    }
  }

  @Override
  public void delete(String path) throws IOException {
    String key = key(path);
    io("delete", key, () -> {
      abortUploads(key, true);
      List<ObjectIdentifier> batch = new ArrayList<>();
      for (ListObjectsV2Response page : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(key + "/"))) {
        for (S3Object o : page.contents()) {
          batch.add(ObjectIdentifier.builder().key(o.key()).build());
          if (batch.size() == DELETE_BATCH) {
            deleteObjects(batch);
            batch.clear();
          }
        }
      }
      if (!batch.isEmpty()) {
        deleteObjects(batch);
      }
      // The exact key last: stores that keep keys as files (s3proxy's filesystem, MinIO on a plain
      // disk) cannot delete "a" while "a/b" is a file below it.
      s3.deleteObject(b -> b.bucket(bucket).key(key));
      return null;
    });
  }

  private void deleteObjects(List<ObjectIdentifier> keys) throws IOException {
    if (!batchDelete) {
      for (ObjectIdentifier k : keys) {
        s3.deleteObject(b -> b.bucket(bucket).key(k.key()));
      }
      return;
    }
    Delete delete = Delete.builder().objects(keys).quiet(true).build();
    DeleteObjectsResponse r;
    try {
      r = s3.deleteObjects(b -> b.bucket(bucket).delete(delete));
    } catch (S3Exception e) {
      if (e.statusCode() != 501) {
        throw e;
      }
      // DeleteObjects must carry a checksum header; some stores reject the one the SDK sends
      // (s3proxy without s3proxy.ignore-unknown-headers answers 501). One request per key instead.
      log.info("s3: {} does not implement DeleteObjects as the SDK sends it ({}); deleting one key at a time",
          bucket, e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage());
      batchDelete = false;
      deleteObjects(keys);
      return;
    }
    // NoSuchKey: deleted concurrently, which is what we wanted.
    var failed = r.errors().stream().filter(e -> !"NoSuchKey".equals(e.code())).toList();
    if (!failed.isEmpty()) {
      throw new IOException("s3: could not delete " + failed.size() + " keys, e.g. " + failed.get(0).key() + ": "
          + failed.get(0).code() + " " + failed.get(0).message());
    }
  }

  /** Aborts the multipart uploads of {@code key} and, with {@code below}, of every key under {@code key/}. */
  void abortUploads(String key, boolean below) {
    try {
      for (ListMultipartUploadsResponse page : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(key))) {
        for (MultipartUpload u : page.uploads()) {
          if (u.key().equals(key) || (below && u.key().startsWith(key + "/"))) {
            abortQuietly(u.key(), u.uploadId());
          }
        }
      }
    } catch (S3Exception e) {
      if (e.statusCode() != 501) {
        throw e;
      }
      // A store without ListMultipartUploads: writers abort their own uploads, and the bucket's
      // lifecycle rule reclaims the rest. Deleting the objects matters more.
      log.debug("s3: {} does not list multipart uploads: {}", bucket, e.getMessage());
    }
  }

  /** Aborts, ignoring an upload that is already gone; other errors only cost storage, so they are logged. */
  void abortQuietly(String key, String uploadId) {
    try {
      s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
    } catch (SdkException e) {
      if (!(e instanceof S3Exception s && s.statusCode() == 404)) {
        log.warn("s3: could not abort multipart upload {} of {}: {}", uploadId, key, e.toString());
      }
    }
  }

  @Override
  public Optional<URI> redirectUrl(String path) throws IOException {
    if (presigner == null) {
      return Optional.empty();
    }
    String key = key(path);
    return io("presign", key, () -> {
      var presigned = presigner.presignGetObject(b -> b.signatureDuration(config.redirectExpiry())
          .getObjectRequest(g -> g.bucket(bucket).key(key)));
      try {
        return Optional.of(presigned.url().toURI());
      } catch (URISyntaxException e) {
        throw new IOException("s3: presigned URL is not a URI: " + presigned.url(), e);
      }
    });
  }

  @Override
  public void close() {
    if (presigner != null) {
      presigner.close();
    }
    s3.close();
    if (credentials instanceof SdkAutoCloseable c) {
      c.close();
    }
  }

  @Override
  public String toString() {
    return "s3(" + bucket + "/" + root + ")";
  }

  // --- requests ------------------------------------------------------------------------------

  Optional<HeadObjectResponse> head(String key) {
    try {
      return Optional.of(s3.headObject(b -> b.bucket(bucket).key(key)));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /**
   * A PutObject with the configured encryption and, except for upload tails (short-lived, rewritten
   * on every chunk, so never an infrequent-access class), the configured storage class.
   */
  PutObjectRequest.Builder putRequest(String key, boolean tail) {
    PutObjectRequest.Builder b = PutObjectRequest.builder().bucket(bucket).key(key).contentType(OCTET_STREAM);
    if (!tail && config.storageClass() != null) {
      b.storageClass(config.storageClass());
    }
    if (config.encryption() != S3DriverConfig.Encryption.NONE) {
      b.serverSideEncryption(sse()).ssekmsKeyId(config.kmsKeyId());
    }
    return b;
  }

  CreateMultipartUploadRequest.Builder createMultipartRequest(String key) {
    CreateMultipartUploadRequest.Builder b =
        CreateMultipartUploadRequest.builder().bucket(bucket).key(key).contentType(OCTET_STREAM);
    if (config.storageClass() != null) {
      b.storageClass(config.storageClass());
    }
    if (config.encryption() != S3DriverConfig.Encryption.NONE) {
      b.serverSideEncryption(sse()).ssekmsKeyId(config.kmsKeyId());
    }
    return b;
  }

  private CopyObjectRequest.Builder copyRequest(String source, String target) {
    CopyObjectRequest.Builder b = CopyObjectRequest.builder()
        .sourceBucket(bucket).sourceKey(source).destinationBucket(bucket).destinationKey(target);
    if (config.storageClass() != null) {
      b.storageClass(config.storageClass());
    }
    if (config.encryption() != S3DriverConfig.Encryption.NONE) {
      b.serverSideEncryption(sse()).ssekmsKeyId(config.kmsKeyId());
    }
    return b;
  }

  private String sse() {
    return config.encryption() == S3DriverConfig.Encryption.KMS ? "aws:kms" : "AES256";
  }

  /** A request body over {@code buf[0, len)} without copying it (the SDK's fromBytes copies). */
  static RequestBody body(byte[] buf, int len) {
    return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buf, 0, len), len, OCTET_STREAM);
  }

  static IOException inProgress(String path) {
    return new IOException("s3: " + path + " is a multipart upload in progress; its bytes are readable once committed");
  }

  @FunctionalInterface
  interface S3Call<T> {
    T call() throws IOException;
  }

  /** Runs {@code call}, turning the SDK's unchecked exceptions into IOExceptions that name the key. */
  <T> T io(String what, String key, S3Call<T> call) throws IOException {
    try {
      return call.call();
    } catch (SdkException e) {
      if (isStorageFull(e)) {
        throw new StorageFullException("s3://" + bucket, -1, -1, e);
      }
      throw new IOException("s3: " + what + " s3://" + bucket + "/" + key + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * AWS S3 itself is never full, and the S3 API has no error for it; S3-compatible servers do
   * refuse writes for lack of space: MinIO with {@code XMinioStorageFull} (507), Ceph RGW over a
   * bucket or user quota with {@code QuotaExceeded}, and others with a bare 507 Insufficient Storage.
   */
  static boolean isStorageFull(SdkException e) {
    if (!(e instanceof S3Exception s)) {
      return false;
    }
    String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
    return s.statusCode() == 507 || "XMinioStorageFull".equals(code) || "QuotaExceeded".equals(code);
  }

  // --- the marker of a large object in progress ------------------------------------------------

  /** The user metadata of an upload tail: which multipart upload holds the bytes before it. */
  record Marker(String uploadId, int parts, long partsSize) {

    static Optional<Marker> of(String key, Map<String, String> metadata) throws IOException {
      String id = get(metadata, META_UPLOAD_ID);
      if (id == null) {
        return Optional.empty();
      }
      try {
        return Optional.of(new Marker(id, Integer.parseInt(get(metadata, META_PARTS)),
            Long.parseLong(get(metadata, META_PARTS_SIZE))));
      } catch (NumberFormatException e) {
        throw new IOException("s3: malformed upload metadata on " + key + ": " + metadata, e);
      }
    }

    Map<String, String> toMetadata() {
      return Map.of(META_UPLOAD_ID, uploadId, META_PARTS, Integer.toString(parts), META_PARTS_SIZE,
          Long.toString(partsSize));
    }

    private static String get(Map<String, String> metadata, String name) {
      String v = metadata.get(name);
      if (v != null) {
        return v;
      }
      for (Map.Entry<String, String> e : metadata.entrySet()) { // some stores keep the case they were sent
        if (e.getKey().toLowerCase(Locale.ROOT).equals(name)) {
          return e.getValue();
        }
      }
      return null;
    }
  }
}
