package io.wharf.core.storage;

import java.time.Instant;

/**
 * What {@link StorageDriver#stat} knows about a path. Directories have size 0.
 *
 * @param path the path
 * @param size the object's size in bytes; 0 for a directory
 * @param modified when the object was last written
 * @param directory true for a directory
 */
public record FileInfo(String path, long size, Instant modified, boolean directory) {}
