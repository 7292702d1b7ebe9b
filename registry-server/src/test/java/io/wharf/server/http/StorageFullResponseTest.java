package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.storage.StorageFullException;
import io.wharf.server.http.RegistryHttp.Resp;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The one mapping of an out-of-space error to HTTP, and a repository without a reserve meeting a full store. */
class StorageFullResponseTest {
  static final long MIB = 1024 * 1024;

  @Test
  void storageFull_is507WithUnavailableOnTheWire_theStoresMessageAndItsNumbers() {
    StorageFullException full = new StorageFullException("default",
        "blob store default is full: 0 B free of 20 MiB; delete images and run garbage collection", 0, 20 * MIB, 0,
        new IOException("No space left on device"));

    RegistryException e = ErrorResponses.storageFull(full);

    assertThat(e.code()).isEqualTo(ErrorCode.STORAGE_FULL);
    assertThat(e.code().httpStatus()).isEqualTo(507);
    JsonNode error = RegistryHttp.JSON.readTree(ErrorResponses.body(e)).get("errors").get(0);
    assertThat(error.path("code").asString()).isEqualTo("UNAVAILABLE");
    assertThat(error.path("message").asString()).isEqualTo(full.getMessage());
    assertThat(error.path("detail").path("store").asString()).isEqualTo("default");
    assertThat(error.path("detail").path("freeBytes").asLong()).isZero();
    assertThat(error.path("detail").path("totalBytes").asLong()).isEqualTo(20 * MIB);
    assertThat(error.path("detail").has("minFreeBytes")).as("no reserve involved").isFalse();
  }

  @Test
  void storageFull_fromABackendThatDoesNotSayHowFull_saysSo() {
    StorageFullException full = new StorageFullException("s3://registry", -1, -1, null);

    JsonNode error = RegistryHttp.JSON.readTree(ErrorResponses.body(ErrorResponses.storageFull(full))).get("errors").get(0);

    assertThat(error.path("message").asString())
        .isEqualTo("storage s3://registry is full: the backend does not say how much space is free");
    assertThat(error.path("detail").isEmpty()).isTrue();
  }

  @Test
  void repositoryWithoutReserve_onAFullStore_507AndTheUploadIsDiscarded() throws Exception {
    InMemoryDriver driver = new InMemoryDriver(MIB);
    try (RegistryHttp http = RegistryHttp.start(HostedRepository.builder("hosted", driver).build())) {
      byte[] blob = RegistryHttp.randomBlob((int) (MIB + MIB / 2));

      Resp post = http.post("/v2/a/blobs/uploads/?digest=" + RegistryHttp.digest(blob), blob,
          "Content-Type", MediaTypes.OCTET_STREAM);

      JsonNode error = assertError(post, 507, "UNAVAILABLE");
      assertThat(error.path("message").asString()).startsWith("storage inmemory is full: ").endsWith(" free of 1 MiB");
      assertThat(driver.usedBytes()).as("the partial upload is gone").isZero();
      http.pushImage("a", "v1", 1);
    }
  }
}
