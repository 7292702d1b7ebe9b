package io.wharf.core.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class UploadIdsTest {
  @Test
  void next_isAVersion7UuidThatTellsItsStartToTheMillisecond() {
    Instant now = Instant.parse("2026-11-28T06:10:11.123456Z");
    String id = UploadIds.next(now);

    UUID uuid = UUID.fromString(id);
    assertThat(uuid.version()).isEqualTo(7);
    assertThat(uuid.variant()).isEqualTo(2); // RFC 9562
    assertThat(id).matches("[0-9a-f-]{36}");
    assertThat(UploadIds.startedAt(id)).hasValue(Instant.parse("2026-11-28T06:10:11.123Z"));
  }

  @Test
  void next_sameMillisecond_idsDiffer() {
    Instant now = Instant.now();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      ids.add(UploadIds.next(now));
    }
    assertThat(ids).hasSize(1000);
  }

  @Test
  void startedAt_otherIds_unknown() {
    assertThat(UploadIds.startedAt(UUID.randomUUID().toString())).isEmpty(); // version 4: distribution's
    assertThat(UploadIds.startedAt("not-a-uuid")).isEmpty();
    assertThat(UploadIds.startedAt("zzzzzzzz-zzzz-7zzz-zzzz-zzzzzzzzzzzz")).isEmpty();
  }
}
