package io.wharf.core.storage;

import java.time.Instant;

/** What {@link StorageDriver#stat} knows about a path. Directories have size 0. */
public record FileInfo(String path, long size, Instant modified, boolean directory) {}
