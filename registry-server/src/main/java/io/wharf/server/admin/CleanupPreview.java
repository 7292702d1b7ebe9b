package io.wharf.server.admin;

import io.wharf.core.gc.GcReport;
import io.wharf.core.lifecycle.MaintenanceReport;
import io.wharf.core.lifecycle.MaintenanceScheduler;
import io.wharf.core.repository.Repository;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * What each blob store's maintenance would remove now: a dry run of its job (the same code as a
 * real run, changing nothing), with the tags and images each cleanup policy and cache limit
 * would remove, and the blobs and bytes garbage collection would reclaim right now. The
 * collection's numbers do not include what the policies would untag (the dry run cannot see
 * it): they are the garbage already there.
 *
 * <p>A dry run already in progress is joined; one asked for during a real run waits for it. Each
 * step lists at most 100 items ({@code wouldRemove}) and gives its totals in {@code summary}; its
 * {@code items} are the same with the size of each tag's image as search knows it (the bytes a
 * pull downloads, an upper bound of what the removal frees: layers can be shared).
 * Administrators only.
 */
public final class CleanupPreview {
  /** How long a preview waits for the dry runs. */
  static final Duration WAIT = Duration.ofMinutes(10);

  /**
   * One step of a store's job: its summary (totals) and the first items it would remove.
   *
   * @param name the step's name, e.g. {@code cleanup of docker-hosted}
   * @param summary its totals, as the job's report writes them
   * @param wouldRemove the first tags or images it would remove, at most 100
   * @param repository the repository it works on; null for a step of no one repository
   * @param items {@code wouldRemove}, each with its image's size where known
   * @param sizeInBytes the sum of the items' known sizes
   * @param sizeComplete whether every item's size was known
   */
  public record Step(String name, String summary, List<String> wouldRemove, String repository, List<Item> items,
      long sizeInBytes, boolean sizeComplete) {}

  /**
   * One tag or image a step would remove.
   *
   * @param item as the step names it ({@code image:tag}, or an image by digest)
   * @param image null when the item is not an {@code image:tag}
   * @param tag the tag; null when the item is not an {@code image:tag}
   * @param sizeInBytes the image's total size (what a pull downloads); null when search does not know it
   */
  public record Item(String item, String image, String tag, Long sizeInBytes) {}

  /**
   * What garbage collection would reclaim now.
   *
   * @param blobs the blobs it would delete
   * @param bytes their total size
   * @param untaggedManifests the untagged manifests it would unlink (with {@code deleteUntagged})
   * @param staleUploads the incomplete uploads it would purge
   * @param sample the first blob digests it would delete
   */
  public record Garbage(long blobs, long bytes, long untaggedManifests, long staleUploads, List<String> sample) {}

  /**
   * One store's preview.
   *
   * @param store the blob store
   * @param at when the dry run began
   * @param steps the cleanup and eviction steps, in run order
   * @param garbage null when the job does not collect, or it failed before
   * @param error why the dry run stopped early; null when it completed
   * @param skipped why the dry run did not start (another node holds the store's lease); null when it ran
   */
  public record StorePreview(String store, Instant at, List<Step> steps, Garbage garbage, String error,
      String skipped) {}

  /**
   * The answer of {@code GET /wharf/api/v1/cleanup/preview}.
   *
   * @param stores one preview per blob store asked for, in the scheduler's order
   */
  public record Preview(List<StorePreview> stores) {}

  private final MaintenanceScheduler scheduler;
  private final Permissions permissions;
  private final Supplier<? extends Iterable<Repository>> repositories;
  private final SearchService search;

  /**
   * @param scheduler null: no maintenance, an empty preview
   * @param search where the items' sizes come from
   */
  CleanupPreview(MaintenanceScheduler scheduler, Permissions permissions,
      Supplier<? extends Iterable<Repository>> repositories, SearchService search) {
    this.scheduler = scheduler;
    this.permissions = Objects.requireNonNull(permissions);
    this.repositories = Objects.requireNonNull(repositories);
    this.search = Objects.requireNonNull(search);
  }

  /**
   * Dry-runs the maintenance of every blob store, or of one, and waits for the runs (up to
   * {@link #WAIT}).
   *
   * @param caller must hold the admin privilege on every repository
   * @param store the blob store to preview; null for all of them
   * @return the previews; none when the server has no maintenance
   * @throws ManagementException {@code UNAUTHENTICATED} or {@code FORBIDDEN} for a caller who is
   *     no administrator; {@code NOT_FOUND} for a store not configured; {@code UNAVAILABLE} when the
   *     dry run takes longer than {@link #WAIT} or the thread is interrupted
   */
  public Preview preview(Caller caller, String store) {
    permissions.requireServerAdmin(caller, repositories.get(), "cleanup previews");
    List<String> stores = scheduler == null ? List.of() : scheduler.stores();
    if (store != null && !stores.contains(store)) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND,
          "no blob store named " + store + "; blob stores: " + stores);
    }
    List<StorePreview> out = new ArrayList<>();
    for (String s : store == null ? stores : List.of(store)) {
      out.add(storePreview(caller, s));
    }
    return new Preview(out);
  }

  private StorePreview storePreview(Caller caller, String store) {
    MaintenanceReport r;
    try {
      r = scheduler.runNow(store, true).orElseThrow().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ManagementException(ManagementException.Reason.UNAVAILABLE, "interrupted");
    } catch (TimeoutException e) {
      throw new ManagementException(ManagementException.Reason.UNAVAILABLE,
          "the dry run of blob store " + store + " takes longer than " + WAIT.toMinutes() + " minutes; try later");
    } catch (ExecutionException e) {
      throw new IllegalStateException("the dry run of blob store " + store + " failed", e.getCause());
    }
    List<Step> steps = new ArrayList<>();
    for (MaintenanceReport.StepReport s : r.steps()) {
      List<Item> items = new ArrayList<>();
      long size = 0;
      boolean complete = true;
      for (String item : s.sample()) {
        Item i = item(caller, s.repository(), item);
        items.add(i);
        size += i.sizeInBytes() == null ? 0 : i.sizeInBytes();
        complete &= i.sizeInBytes() != null;
      }
      steps.add(new Step(s.name(), s.summary(), s.sample(), s.repository(), items, size, complete));
    }
    GcReport gc = r.gc();
    Garbage garbage = gc == null ? null : new Garbage(gc.blobsDeleted(), gc.bytesDeleted(), gc.manifestsUntagged(),
        gc.uploadsPurged(), gc.deletedSample());
    return new StorePreview(store, r.started(), steps, garbage, r.error(), r.skipped());
  }

  /** {@code item} ({@code image:tag}) of {@code repository} with its image's size, as an exact search finds it. */
  private Item item(Caller caller, String repository, String item) {
    int colon = item.lastIndexOf(':');
    if (repository == null || colon <= 0 || item.indexOf('@') >= 0) {
      return new Item(item, null, null, null);
    }
    String image = item.substring(0, colon);
    String tag = item.substring(colon + 1);
    Long size = null;
    try {
      SearchQuery exact = new SearchQuery(repository, new SearchQuery.Match(image, false),
          new SearchQuery.Match(tag, false), null, null, false, null, false);
      List<SearchService.Component> found = search.search(caller, exact, null, "").items();
      size = found.isEmpty() || found.get(0).wharf() == null ? null : found.get(0).wharf().totalSize();
    } catch (ManagementException e) {
      // a repository gone meanwhile: the size is unknown, the item still listed
    }
    return new Item(item, image, tag, size);
  }
}
