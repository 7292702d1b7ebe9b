package io.wharf.server.config;

import io.wharf.core.storage.StorageDriver;
import io.wharf.storage.s3.S3Driver;
import io.wharf.storage.s3.S3DriverConfig;
import java.util.Locale;

/**
 * {@code type: s3} blob stores. A class of its own so that the AWS SDK (optional for embedders)
 * is loaded only when a configuration asks for S3.
 */
final class S3Stores {
  private S3Stores() {}

  static StorageDriver driver(WharfConfig.BlobStore store) {
    return S3Driver.create(config(store, "blobStores"));
  }

  /** Builds and validates the driver configuration; {@code key} names the store in errors. */
  static S3DriverConfig config(WharfConfig.BlobStore s, String key) {
    if (s.bucket() == null || s.bucket().isBlank()) {
      throw new ConfigException(key + ".bucket: an s3 blob store needs a bucket");
    }
    if ((s.accessKey() == null) != (s.secretKey() == null)) {
      throw new ConfigException(key + ": give both accessKey and secretKey, or neither (the AWS default chain)");
    }
    S3DriverConfig.Builder b = S3DriverConfig.builder(s.bucket());
    try {
      if (s.prefix() != null) {
        b.prefix(s.prefix());
      }
      if (s.region() != null) {
        b.region(s.region());
      }
      if (s.endpoint() != null) {
        b.endpoint(ConfigLoader.remoteUrl(s.endpoint(), key + ".endpoint"));
      }
      if (s.pathStyle() != null) {
        b.pathStyle(s.pathStyle());
      }
      if (s.accessKey() != null) {
        b.credentials(s.accessKey(), s.secretKey());
      }
      if (s.storageClass() != null) {
        b.storageClass(s.storageClass());
      }
      if (s.encryption() != null) {
        b.encryption(encryption(s.encryption(), key + ".encryption"));
      }
      if (s.kmsKeyId() != null) {
        b.kms(s.kmsKeyId());
      }
      if (s.redirect() != null) {
        b.redirect(s.redirect());
      }
      if (s.redirectExpiry() != null) {
        b.redirectExpiry(Durations.parse(s.redirectExpiry(), key + ".redirectExpiry"));
      }
      if (s.partSize() != null) {
        b.partSize((int) Sizes.parse(s.partSize(), key + ".partSize"));
      }
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + ": " + e.getMessage(), e);
    }
  }

  private static S3DriverConfig.Encryption encryption(String value, String key) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "none" -> S3DriverConfig.Encryption.NONE;
      case "aes256", "sse-s3" -> S3DriverConfig.Encryption.AES256;
      case "kms", "aws:kms", "sse-kms" -> S3DriverConfig.Encryption.KMS;
      default -> throw new ConfigException(key + ": unknown encryption \"" + value + "\"; known: none, aes256, kms");
    };
  }
}
