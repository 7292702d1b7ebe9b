package io.wharf.core.quota;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import java.util.Map;

/** A push refused by a repository's hard {@link Quota}: {@code DENIED} (403), with the numbers. */
public final class QuotaExceededException extends RegistryException {
  private static final long serialVersionUID = 1L;

  QuotaExceededException(String message, Map<String, Object> detail) {
    super(ErrorCode.DENIED, message, detail);
  }
}
