package io.wharf.storage.s3;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How an {@link S3Driver} reaches its bucket and writes to it. Build one with {@link #builder(String)};
 * only the bucket is required:
 *
 * <pre>{@code
 * S3DriverConfig config = S3DriverConfig.builder("registry")
 *     .prefix("wharf")                                  // keys become wharf/docker/registry/v2/...
 *     .endpoint(URI.create("http://127.0.0.1:9000"))    // an S3-compatible store; omit for AWS
 *     .pathStyle(true)
 *     .credentials("access-key", "secret-key")          // omit for the SDK's default chain
 *     .build();
 * }</pre>
 *
 * <p>No AWS SDK type appears here, so the configuration can be read and validated without the
 * (optional) SDK on the classpath.
 *
 * @param bucket the bucket, which must exist
 * @param prefix the key prefix every path is stored under, without leading or trailing {@code /};
 *     empty for the bucket root
 * @param region the signing region; S3-compatible stores usually accept any, e.g. {@code us-east-1}
 * @param endpoint the endpoint of an S3-compatible store, or {@code null} for AWS
 * @param pathStyle {@code http://host/bucket/key} instead of {@code http://bucket.host/key}; most
 *     S3-compatible stores need it
 * @param accessKey static credentials, or {@code null} (with {@code secretKey}) for the SDK's default
 *     credentials chain (environment, profile, container or instance role)
 * @param secretKey see {@code accessKey}
 * @param sessionToken a session token for temporary static credentials, or {@code null}
 * @param storageClass the storage class of stored objects (e.g. {@code STANDARD_IA},
 *     {@code INTELLIGENT_TIERING}), or {@code null} for the bucket's default. The tails of uploads in
 *     progress are always {@code STANDARD}: they are rewritten on every chunk
 * @param encryption server-side encryption of every object written
 * @param kmsKeyId the KMS key for {@link Encryption#KMS}, or {@code null} for the account's default key
 * @param redirect answer blob GETs with a presigned URL ({@code 307}) instead of serving the bytes
 * @param redirectExpiry how long a presigned URL stays valid (at most 7 days)
 * @param partSize the multipart part size, which is also the size of the one buffer each open
 *     writer holds: from 5 MiB (S3's minimum) to 512 MiB. With S3's limit of 10,000 parts it caps
 *     the size of one upload at {@code 10,000 * partSize} (97 GiB at the default 10 MiB)
 * @param multipartCopyThreshold objects larger than this are moved with a multipart copy; at most
 *     5 GiB, the largest object a single CopyObject accepts
 * @param multipartCopyPartSize the part size of a multipart copy, from 5 MiB to 4 GiB (raised as
 *     needed to stay within 10,000 parts)
 * @param maxConnections the size of the HTTP connection pool
 */
public record S3DriverConfig(
    String bucket,
    String prefix,
    String region,
    URI endpoint,
    boolean pathStyle,
    String accessKey,
    String secretKey,
    String sessionToken,
    String storageClass,
    Encryption encryption,
    String kmsKeyId,
    boolean redirect,
    Duration redirectExpiry,
    int partSize,
    long multipartCopyThreshold,
    long multipartCopyPartSize,
    int maxConnections) {

  /** The smallest part size, S3's minimum: 5 MiB. */
  public static final int MIN_PART_SIZE = 5 * 1024 * 1024;
  /** The largest part size accepted: 512 MiB. */
  public static final int MAX_PART_SIZE = 512 * 1024 * 1024;
  /** The largest object a single CopyObject accepts: 5 GiB. */
  public static final long MAX_COPY_SIZE = 5L * 1024 * 1024 * 1024;
  /** The largest part of a multipart copy accepted: 4 GiB. */
  public static final long MAX_COPY_PART_SIZE = 4L * 1024 * 1024 * 1024;
  /** The default part size: 10 MiB. */
  public static final int DEFAULT_PART_SIZE = 10 * 1024 * 1024;
  /** The default part size of a multipart copy: 512 MiB. */
  public static final long DEFAULT_MULTIPART_COPY_PART_SIZE = 512L * 1024 * 1024;
  /** How long a presigned URL stays valid by default: 20 minutes. */
  public static final Duration DEFAULT_REDIRECT_EXPIRY = Duration.ofMinutes(20);

  // The segment grammar of storage paths: the prefix is prepended to paths, so it obeys it too.
  private static final Pattern PREFIX = Pattern.compile("([A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*)?");

  /** Server-side encryption of stored objects. */
  public enum Encryption {
    /** Whatever the bucket's default encryption does. */
    NONE,
    /** SSE-S3: keys managed by S3 ({@code AES256}). */
    AES256,
    /** SSE-KMS ({@code aws:kms}), with {@link #kmsKeyId()} or the account's default key. */
    KMS
  }

  /**
   * Checks the configuration and fills in defaults: an empty prefix, region {@code us-east-1}, no
   * encryption, {@link #DEFAULT_REDIRECT_EXPIRY}. The components are as the class describes them.
   *
   * @param bucket the bucket
   * @param prefix the key prefix (leading and trailing {@code /} are dropped), or null
   * @param region the signing region, or null
   * @param endpoint the endpoint, or null for AWS
   * @param pathStyle path-style addressing
   * @param accessKey the access key, or null
   * @param secretKey the secret key, or null
   * @param sessionToken the session token, or null
   * @param storageClass the storage class, or null
   * @param encryption the encryption, or null for none
   * @param kmsKeyId the KMS key, or null
   * @param redirect presigned redirects for blob GETs
   * @param redirectExpiry how long a presigned URL stays valid, or null
   * @param partSize the multipart part size
   * @param multipartCopyThreshold the size above which moves copy in parts
   * @param multipartCopyPartSize the part size of a multipart copy
   * @param maxConnections the size of the connection pool
   * @throws IllegalArgumentException naming the setting that is missing or out of range
   */
  public S3DriverConfig {
    if (bucket == null || bucket.isBlank()) {
      throw new IllegalArgumentException("s3: bucket is required");
    }
    prefix = prefix == null ? "" : trimSlashes(prefix);
    if (!PREFIX.matcher(prefix).matches() || Arrays.asList(prefix.split("/")).contains("..")
        || Arrays.asList(prefix.split("/")).contains(".")) {
      throw new IllegalArgumentException("s3: invalid prefix '" + prefix + "': use segments of [A-Za-z0-9._-]");
    }
    region = region == null || region.isBlank() ? "us-east-1" : region;
    if ((accessKey == null) != (secretKey == null)) {
      throw new IllegalArgumentException("s3: give both accessKey and secretKey, or neither for the default chain");
    }
    if (sessionToken != null && accessKey == null) {
      throw new IllegalArgumentException("s3: sessionToken needs accessKey and secretKey");
    }
    encryption = encryption == null ? Encryption.NONE : encryption;
    if (kmsKeyId != null && encryption != Encryption.KMS) {
      throw new IllegalArgumentException("s3: kmsKeyId needs encryption KMS");
    }
    redirectExpiry = redirectExpiry == null ? DEFAULT_REDIRECT_EXPIRY : redirectExpiry;
    if (redirectExpiry.isNegative() || redirectExpiry.isZero() || redirectExpiry.compareTo(Duration.ofDays(7)) > 0) {
      throw new IllegalArgumentException("s3: redirectExpiry must be more than 0 and at most 7 days, not " + redirectExpiry);
    }
    if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
      throw new IllegalArgumentException(
          "s3: partSize must be between 5 MiB and 512 MiB (S3's minimum part size is 5 MiB), not " + partSize);
    }
    if (multipartCopyThreshold < 0 || multipartCopyThreshold > MAX_COPY_SIZE) {
      throw new IllegalArgumentException("s3: multipartCopyThreshold must be between 0 and 5 GiB, not " + multipartCopyThreshold);
    }
    if (multipartCopyPartSize < MIN_PART_SIZE || multipartCopyPartSize > MAX_COPY_PART_SIZE) {
      throw new IllegalArgumentException(
          "s3: multipartCopyPartSize must be between 5 MiB and 4 GiB, not " + multipartCopyPartSize);
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException("s3: maxConnections must be positive, not " + maxConnections);
    }
  }

  /**
   * {@return a builder for a configuration of {@code bucket}, with every default}
   *
   * @param bucket the bucket, which must exist
   */
  public static Builder builder(String bucket) {
    return new Builder(bucket);
  }

  /**
   * A builder that starts from this configuration.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder(bucket);
    b.prefix = prefix;
    b.region = region;
    b.endpoint = endpoint;
    b.pathStyle = pathStyle;
    b.accessKey = accessKey;
    b.secretKey = secretKey;
    b.sessionToken = sessionToken;
    b.storageClass = storageClass;
    b.encryption = encryption;
    b.kmsKeyId = kmsKeyId;
    b.redirect = redirect;
    b.redirectExpiry = redirectExpiry;
    b.partSize = partSize;
    b.multipartCopyThreshold = multipartCopyThreshold;
    b.multipartCopyPartSize = multipartCopyPartSize;
    b.maxConnections = maxConnections;
    return b;
  }

  /**
   * Static credentials are configured (else the SDK's default chain is used).
   *
   * @return true if an access key is set
   */
  public boolean hasStaticCredentials() {
    return accessKey != null;
  }

  /** Never prints the secret or the session token. */
  @Override
  public String toString() {
    return "S3DriverConfig[bucket=" + bucket + ", prefix=" + prefix + ", region=" + region + ", endpoint=" + endpoint
        + ", pathStyle=" + pathStyle + ", credentials=" + (accessKey == null ? "default chain" : accessKey + ":***")
        + ", storageClass=" + storageClass + ", encryption=" + encryption + ", redirect=" + redirect
        + ", redirectExpiry=" + redirectExpiry + ", partSize=" + partSize + ", multipartCopyThreshold="
        + multipartCopyThreshold + ", multipartCopyPartSize=" + multipartCopyPartSize + ", maxConnections="
        + maxConnections + "]";
  }

  private static String trimSlashes(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && s.charAt(start) == '/') {
      start++;
    }
    while (end > start && s.charAt(end - 1) == '/') {
      end--;
    }
    return s.substring(start, end);
  }

  /** Builds an {@link S3DriverConfig}; every setter is optional except the bucket given up front. */
  public static final class Builder {
    private final String bucket;
    private String prefix = "";
    private String region = "us-east-1";
    private URI endpoint;
    private boolean pathStyle;
    private String accessKey;
    private String secretKey;
    private String sessionToken;
    private String storageClass;
    private Encryption encryption = Encryption.NONE;
    private String kmsKeyId;
    private boolean redirect;
    private Duration redirectExpiry = DEFAULT_REDIRECT_EXPIRY;
    private int partSize = DEFAULT_PART_SIZE;
    private long multipartCopyThreshold = MAX_COPY_SIZE;
    private long multipartCopyPartSize = DEFAULT_MULTIPART_COPY_PART_SIZE;
    private int maxConnections = 50;

    private Builder(String bucket) {
      this.bucket = bucket;
    }

    /**
     * The key prefix every path is stored under (default none).
     *
     * @param prefix the prefix, e.g. {@code wharf}
     * @return this builder
     */
    public Builder prefix(String prefix) {
      this.prefix = prefix;
      return this;
    }

    /**
     * The signing region (default {@code us-east-1}).
     *
     * @param region the region
     * @return this builder
     */
    public Builder region(String region) {
      this.region = region;
      return this;
    }

    /**
     * The endpoint of an S3-compatible store (default: AWS).
     *
     * @param endpoint the endpoint, e.g. {@code http://127.0.0.1:9000}
     * @return this builder
     */
    public Builder endpoint(URI endpoint) {
      this.endpoint = endpoint;
      return this;
    }

    /**
     * Path-style addressing, {@code http://host/bucket/key} (default off); most S3-compatible
     * stores need it.
     *
     * @param pathStyle true for path style
     * @return this builder
     */
    public Builder pathStyle(boolean pathStyle) {
      this.pathStyle = pathStyle;
      return this;
    }

    /**
     * Static credentials; without this call the SDK's default credentials chain is used.
     *
     * @param accessKey the access key
     * @param secretKey the secret key
     * @return this builder
     */
    public Builder credentials(String accessKey, String secretKey) {
      this.accessKey = Objects.requireNonNull(accessKey, "accessKey");
      this.secretKey = Objects.requireNonNull(secretKey, "secretKey");
      return this;
    }

    /**
     * A session token for temporary static credentials (with {@link #credentials}).
     *
     * @param sessionToken the token
     * @return this builder
     */
    public Builder sessionToken(String sessionToken) {
      this.sessionToken = sessionToken;
      return this;
    }

    /**
     * The storage class of stored objects (default: the bucket's).
     *
     * @param storageClass the class, e.g. {@code STANDARD_IA}
     * @return this builder
     */
    public Builder storageClass(String storageClass) {
      this.storageClass = storageClass;
      return this;
    }

    /**
     * Server-side encryption of every object written (default {@link Encryption#NONE}).
     *
     * @param encryption the encryption
     * @return this builder
     */
    public Builder encryption(Encryption encryption) {
      this.encryption = encryption;
      return this;
    }

    /**
     * SSE-KMS with this key.
     *
     * @param kmsKeyId the KMS key, or null for the account's default key
     * @return this builder
     */
    public Builder kms(String kmsKeyId) {
      this.encryption = Encryption.KMS;
      this.kmsKeyId = kmsKeyId;
      return this;
    }

    /**
     * Answers blob GETs with a presigned URL (307) instead of serving the bytes (default off).
     *
     * @param redirect true to redirect
     * @return this builder
     */
    public Builder redirect(boolean redirect) {
      this.redirect = redirect;
      return this;
    }

    /**
     * How long a presigned URL stays valid (default 20 minutes, at most 7 days).
     *
     * @param redirectExpiry the validity
     * @return this builder
     */
    public Builder redirectExpiry(Duration redirectExpiry) {
      this.redirectExpiry = redirectExpiry;
      return this;
    }

    /**
     * The multipart part size, which is also each open writer's buffer (default 10 MiB; 5 to 512
     * MiB).
     *
     * @param partSize the size in bytes
     * @return this builder
     */
    public Builder partSize(int partSize) {
      this.partSize = partSize;
      return this;
    }

    /**
     * Objects larger than this are moved with a multipart copy (default and maximum 5 GiB).
     *
     * @param multipartCopyThreshold the size in bytes
     * @return this builder
     */
    public Builder multipartCopyThreshold(long multipartCopyThreshold) {
      this.multipartCopyThreshold = multipartCopyThreshold;
      return this;
    }

    /**
     * The part size of a multipart copy (default 512 MiB; 5 MiB to 4 GiB).
     *
     * @param multipartCopyPartSize the size in bytes
     * @return this builder
     */
    public Builder multipartCopyPartSize(long multipartCopyPartSize) {
      this.multipartCopyPartSize = multipartCopyPartSize;
      return this;
    }

    /**
     * The size of the HTTP connection pool (default 50).
     *
     * @param maxConnections the number of connections, positive
     * @return this builder
     */
    public Builder maxConnections(int maxConnections) {
      this.maxConnections = maxConnections;
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @return the configuration
     * @throws IllegalArgumentException naming the setting that is missing or out of range
     */
    public S3DriverConfig build() {
      return new S3DriverConfig(bucket, prefix, region, endpoint, pathStyle, accessKey, secretKey, sessionToken,
          storageClass, encryption, kmsKeyId, redirect, redirectExpiry, partSize, multipartCopyThreshold,
          multipartCopyPartSize, maxConnections);
    }
  }
}
