package io.wharf.server.admin;

import io.wharf.server.config.WharfConfig;
import java.io.IOException;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Wharf's own operations endpoints (administrators):
 * <pre>
 * GET /v1/cleanup/preview[?store=]   what each blob store's maintenance would remove now ({@link CleanupPreview})
 * GET /v1/config                     the effective configuration, secrets redacted ({@link EffectiveConfig})
 * </pre>
 */
final class WharfOpsEndpoints implements RestEndpoints {
  private final CleanupPreview cleanup;
  private final Supplier<WharfConfig> config;
  private final Permissions permissions;
  private final Supplier<? extends Iterable<io.wharf.core.repository.Repository>> repositories;

  WharfOpsEndpoints(CleanupPreview cleanup, Supplier<WharfConfig> config, Permissions permissions,
      Supplier<? extends Iterable<io.wharf.core.repository.Repository>> repositories) {
    this.cleanup = Objects.requireNonNull(cleanup);
    this.config = Objects.requireNonNull(config);
    this.permissions = Objects.requireNonNull(permissions);
    this.repositories = Objects.requireNonNull(repositories);
  }

  @Override
  public boolean serve(RestCall call) throws IOException {
    if (call.matches("v1", "cleanup", "preview")) {
      call.allow("GET");
      String store = call.query("store");
      call.send(cleanup.preview(call.caller(), store == null || store.isEmpty() ? null : store));
    } else if (call.matches("v1", "config")) {
      call.allow("GET");
      permissions.requireServerAdmin(call.caller(), repositories.get(), "the configuration");
      call.send(EffectiveConfig.redacted(config.get()));
    } else {
      return false;
    }
    return true;
  }
}
