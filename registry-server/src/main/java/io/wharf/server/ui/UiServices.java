package io.wharf.server.ui;

import io.wharf.server.admin.AuditTrail;
import io.wharf.server.admin.BlobStoreService;
import io.wharf.server.admin.CleanupPreview;
import io.wharf.server.admin.CredentialService;
import io.wharf.server.admin.HealthService;
import io.wharf.server.admin.ImageService;
import io.wharf.server.admin.Permissions;
import io.wharf.server.admin.RepositoryService;
import io.wharf.server.admin.SearchService;
import io.wharf.server.admin.SecurityService;
import io.wharf.server.admin.TaskService;
import java.util.Objects;

/**
 * The management services the UI calls: the same objects the REST APIs call, so a page shows and
 * does exactly what a script with the same user could. The UI never reads storage itself.
 */
public record UiServices(RepositoryService repositories, HealthService health, ImageService images,
    SearchService search, BlobStoreService blobStores, TaskService tasks, CleanupPreview cleanup,
    SecurityService security, Permissions permissions, AuditTrail audit, CredentialService credentials) {
  public UiServices {
    Objects.requireNonNull(repositories);
    Objects.requireNonNull(health);
    Objects.requireNonNull(images);
    Objects.requireNonNull(search);
    Objects.requireNonNull(blobStores);
    Objects.requireNonNull(tasks);
    Objects.requireNonNull(cleanup);
    Objects.requireNonNull(security);
    Objects.requireNonNull(permissions);
    Objects.requireNonNull(audit);
    Objects.requireNonNull(credentials);
  }
}
