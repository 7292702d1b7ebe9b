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
 *
 * @param repositories the repositories: list, create, change, delete
 * @param health the server's health checks
 * @param images images, tags and manifests of a repository
 * @param search the search over images and tags
 * @param blobStores the blob stores and their usage
 * @param tasks the blob stores' maintenance jobs, as tasks
 * @param cleanup what a maintenance run would remove now
 * @param security users, roles and anonymous access
 * @param permissions what the visitor may see and do
 * @param audit the audit trail as the visitor may read it (recent activity)
 * @param credentials robot accounts and API tokens
 */
public record UiServices(RepositoryService repositories, HealthService health, ImageService images,
    SearchService search, BlobStoreService blobStores, TaskService tasks, CleanupPreview cleanup,
    SecurityService security, Permissions permissions, AuditTrail audit, CredentialService credentials) {
  /**
   * Checks that every service is there.
   *
   * @param repositories the repositories: list, create, change, delete
   * @param health the server's health checks
   * @param images images, tags and manifests of a repository
   * @param search the search over images and tags
   * @param blobStores the blob stores and their usage
   * @param tasks the blob stores' maintenance jobs, as tasks
   * @param cleanup what a maintenance run would remove now
   * @param security users, roles and anonymous access
   * @param permissions what the visitor may see and do
   * @param audit the audit trail as the visitor may read it (recent activity)
   * @param credentials robot accounts and API tokens
   * @throws NullPointerException if a service is null
   */
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
