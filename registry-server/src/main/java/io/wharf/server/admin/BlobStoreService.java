package io.wharf.server.admin;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.wharf.core.model.Digest;
import io.wharf.core.quota.Quota;
import io.wharf.core.quota.RepositoryQuota;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Repository;
import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import io.wharf.core.storage.StoreSpace;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The blob stores as Nexus's {@code /v1/blobstores} shows them: how many blobs each holds, their
 * size, the free space, the reserve as Nexus's soft quota, and whether a quota is violated (the
 * store below its reserve, or a hosted repository on it over its quota).
 *
 * <p><b>Counting</b> walks the store's {@code blobs/<alg>/<xx>/<hex>/data} as garbage collection
 * does (one {@code list} per directory, one {@code stat} per blob): on a filesystem about a
 * second per 100,000 blobs, on S3 a listing per prefix. So a count is kept for {@link
 * #COUNT_TTL}, dropped when a maintenance run ends ({@link #refresh}), and concurrent callers of
 * one store share one walk. The numbers are the bytes in the store (what {@code du} would say
 * of {@code blobs/}), blobs that garbage collection has yet to reclaim included.
 *
 * <p>Administrators only: the stores hold every repository's content.
 */
public final class BlobStoreService {
  /** How long a count of a store's blobs is reused. */
  static final Duration COUNT_TTL = Duration.ofMinutes(1);
  private static final long MIB = 1024 * 1024;

  /**
   * One configured store.
   *
   * @param type as Nexus names it: {@code File}, {@code S3}, {@code Memory}
   * @param space its driver and reserve
   * @param repositories the repositories whose content it holds (asked on every call: they change live)
   */
  record Store(String name, String type, StoreSpace space, Supplier<List<Repository>> repositories) {}

  /**
   * Nexus's {@code softQuota}: Wharf's reserve ({@code blobStores.<name>.minFree}).
   *
   * @param type always {@code spaceRemainingQuota}
   * @param limit the reserve in MiB, rounded up
   */
  public record SoftQuota(String type, long limit) {}

  /**
   * One store in Nexus's shape.
   *
   * @param name the store's name in the configuration ({@code blobStores.<name>})
   * @param type Nexus's type name for its driver ({@code File}, {@code S3})
   * @param blobCount the blobs it holds
   * @param totalSizeInBytes their bytes
   * @param unavailable the store did not answer (its counts are then 0)
   * @param availableSpaceInBytes null where the driver cannot tell (S3)
   * @param softQuota the reserve; null where none applies
   * @param countedAt when the blobs were counted (a Wharf addition)
   */
  public record Summary(String name, String type, boolean unavailable, long blobCount, long totalSizeInBytes,
      Long availableSpaceInBytes, SoftQuota softQuota, Instant countedAt) {}

  /**
   * Nexus's {@code /v1/blobstores/{name}/quota-status}.
   *
   * @param isViolation whether any quota is violated
   * @param message every violation, joined; a sentence saying none when there is none
   * @param blobStoreName the store asked about
   */
  public record QuotaStatus(@JsonProperty("isViolation") boolean isViolation, String message, String blobStoreName) {}

  private record Count(long blobs, long bytes, Instant at) {}

  private final Map<String, Store> stores = new LinkedHashMap<>();
  private final Map<String, Object> locks = new LinkedHashMap<>();
  private final Map<String, Count> counts = new java.util.concurrent.ConcurrentHashMap<>();
  private final Permissions permissions;
  private final Supplier<? extends Iterable<Repository>> allRepositories;
  private final Clock clock;

  BlobStoreService(List<Store> stores, Permissions permissions,
      Supplier<? extends Iterable<Repository>> allRepositories, Clock clock) {
    for (Store s : stores) {
      this.stores.put(s.name(), s);
      this.locks.put(s.name(), new Object());
    }
    this.permissions = Objects.requireNonNull(permissions);
    this.allRepositories = Objects.requireNonNull(allRepositories);
    this.clock = Objects.requireNonNull(clock);
  }

  /**
   * Every blob store with its counts, as Nexus's {@code GET /v1/blobstores} lists them. The counts
   * are cached; a store that does not answer is listed {@code unavailable}, not left out.
   *
   * @param caller must hold the admin privilege on every repository
   * @return the stores, in configuration order
   * @throws ManagementException {@code UNAUTHENTICATED} or {@code FORBIDDEN} for a caller who is no administrator
   */
  public List<Summary> list(Caller caller) {
    permissions.requireServerAdmin(caller, allRepositories.get(), "the blob stores");
    List<Summary> out = new ArrayList<>();
    for (Store s : stores.values()) {
      out.add(summary(s));
    }
    return out;
  }

  /** One store; 404 for an unknown name (after the caller proved to be an administrator). */
  Summary get(Caller caller, String name) {
    return summary(store(caller, name));
  }

  /**
   * Whether {@code name} violates a quota: it has less free space than its reserve (uploads are
   * refused), or a hosted repository on it uses more than its hard or soft quota.
   *
   * @param caller must hold the admin privilege on every repository
   * @param name the blob store
   * @return Nexus's quota status: a violation with every reason in its message, or none
   * @throws ManagementException {@code UNAUTHENTICATED} or {@code FORBIDDEN} for a caller who is
   *     no administrator; {@code NOT_FOUND} for a store not configured; {@code UNAVAILABLE} when
   *     the store's free space cannot be read
   */
  public QuotaStatus quotaStatus(Caller caller, String name) {
    Store s = store(caller, name);
    List<String> violations = new ArrayList<>();
    try {
      Optional<StorageDriver.Space> space = s.space().driver().space();
      long reserve = s.space().minFreeBytes();
      if (space.isPresent() && space.get().freeBytes() < reserve) {
        violations.add("blob store " + name + " has " + Quota.format(space.get().freeBytes())
            + " free, below its reserve of " + Quota.format(reserve) + " (blobStores." + name + ".minFree)");
      }
    } catch (IOException e) {
      throw new ManagementException(ManagementException.Reason.UNAVAILABLE,
          "could not read the free space of blob store " + name + ": " + e.getMessage());
    }
    for (Repository r : s.repositories().get()) {
      if (r instanceof HostedRepository h && h.quota().isPresent()) {
        RepositoryQuota q = h.quota().get();
        long used;
        try {
          used = q.usedBytes();
        } catch (IOException e) {
          throw new ManagementException(ManagementException.Reason.UNAVAILABLE,
              "could not read the usage of repository " + r.name() + ": " + e.getMessage());
        }
        Quota limits = q.quota();
        if (limits.hardBytes() != Quota.NONE && used >= limits.hardBytes()) {
          violations.add("repository " + r.name() + " uses " + Quota.format(used) + ", at its hard quota of "
              + Quota.format(limits.hardBytes()));
        } else if (limits.softBytes() != Quota.NONE && used > limits.softBytes()) {
          violations.add("repository " + r.name() + " uses " + Quota.format(used) + ", over its soft quota of "
              + Quota.format(limits.softBytes()));
        }
      }
    }
    String message = violations.isEmpty()
        ? "blob store " + name + " is within its reserve and its repositories within their quotas"
        : String.join("; ", violations);
    return new QuotaStatus(!violations.isEmpty(), message, name);
  }

  /** One store's numbers without a caller: for the metrics, which have their own access rule. */
  Summary numbers(String name) {
    return summary(stores.get(name));
  }

  /** Drops the counts, so the next call counts again (after a maintenance run deleted blobs). */
  void refresh() {
    counts.clear();
  }

  private Store store(Caller caller, String name) {
    permissions.requireServerAdmin(caller, allRepositories.get(), "the blob stores");
    Store s = stores.get(name);
    if (s == null) {
      throw new ManagementException(ManagementException.Reason.NOT_FOUND,
          "no blob store named " + name + "; blob stores: " + stores.keySet());
    }
    return s;
  }

  private Summary summary(Store s) {
    StorageDriver driver = s.space().driver();
    Count count;
    Long available = null;
    SoftQuota soft = null;
    boolean unavailable = false;
    try {
      count = count(s);
      Optional<StorageDriver.Space> space = driver.space();
      if (space.isPresent()) {
        available = space.get().freeBytes();
        long reserve = s.space().minFreeBytes();
        soft = reserve > 0 ? new SoftQuota("spaceRemainingQuota", (reserve + MIB - 1) / MIB) : null;
      }
    } catch (IOException | RuntimeException e) {
      count = new Count(0, 0, clock.instant());
      unavailable = true;
    }
    return new Summary(s.name(), s.type(), unavailable, count.blobs(), count.bytes(), available, soft, count.at());
  }

  private Count count(Store s) throws IOException {
    Count c = counts.get(s.name());
    if (fresh(c)) {
      return c;
    }
    synchronized (locks.get(s.name())) {
      c = counts.get(s.name()); // another caller may have counted while this one waited
      if (fresh(c)) {
        return c;
      }
      c = walk(s.space().driver());
      counts.put(s.name(), c);
      return c;
    }
  }

  private boolean fresh(Count c) {
    return c != null && c.at().plus(COUNT_TTL).isAfter(clock.instant());
  }

  private Count walk(StorageDriver driver) throws IOException {
    Instant at = clock.instant();
    long blobs = 0;
    long bytes = 0;
    for (String algDir : driver.list(new StorageLayout().blobsRoot())) {
      if (!Digest.isSupportedAlgorithm(StorageLayout.lastSegment(algDir))) {
        continue;
      }
      for (String prefixDir : driver.list(algDir)) {
        for (String blobDir : driver.list(prefixDir)) {
          Optional<FileInfo> data = driver.stat(blobDir + "/data");
          if (data.isPresent() && !data.get().directory()) {
            blobs++;
            bytes += data.get().size();
          }
        }
      }
    }
    return new Count(blobs, bytes, at);
  }
}
