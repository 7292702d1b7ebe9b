package io.wharf.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Which S3 errors mean "the store is full" (S3 servers other than AWS: MinIO, Ceph RGW). */
class S3StorageFullTest {

  private static S3Exception error(int status, String code) {
    return (S3Exception) S3Exception.builder().statusCode(status)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code).build()).build();
  }

  @Test
  void isStorageFull_insufficientStorageMinioFullOrRgwQuota() {
    assertThat(S3Driver.isStorageFull(error(507, "XMinioStorageFull"))).isTrue();
    assertThat(S3Driver.isStorageFull(error(507, "SomethingElse"))).isTrue();
    assertThat(S3Driver.isStorageFull(error(403, "QuotaExceeded"))).isTrue();
  }

  @Test
  void isStorageFull_otherErrors_no() {
    assertThat(S3Driver.isStorageFull(error(403, "AccessDenied"))).isFalse();
    assertThat(S3Driver.isStorageFull(error(500, "InternalError"))).isFalse();
    assertThat(S3Driver.isStorageFull(error(503, "SlowDown"))).isFalse();
    assertThat(S3Driver.isStorageFull(SdkClientException.create("connection refused"))).isFalse();
  }
}
