package io.wharf.proxy.sync;

import io.wharf.core.model.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.Set;

/**
 * Where a sync writes images: a hosted repository of this server ({@link HostedTarget}); a push
 * rule will add a remote registry. The copier asks before it writes ({@link #hasBlob},
 * {@link #hasManifest}), so what a target holds already is never fetched again: that is what
 * makes a killed run resumable. Each write is complete or absent: a blob is stored only once its
 * digest is verified, a manifest only once everything it references is there.
 */
public interface SyncTarget {

  /** For reports and messages, e.g. {@code mirror} or a registry's host. */
  String describe();

  /** The digest {@code tag} points at in {@code name}, if any. */
  Optional<Digest> tagged(String name, String tag) throws IOException;

  /** Whether {@code name} holds the manifest {@code digest}. */
  boolean hasManifest(String name, Digest digest) throws IOException;

  /**
   * Whether {@code name} holds the blob, after making it so without a copy where it can (a blob
   * stored for another image of the same storage is linked, as a cross-repository mount).
   */
  boolean hasBlob(String name, Digest digest) throws IOException;

  /**
   * Stores a blob read from {@code body} as it streams, in constant memory; fails (storing
   * nothing) if the bytes do not hash to {@code digest}.
   */
  void putBlob(String name, Digest digest, long size, InputStream body) throws IOException;

  /**
   * Stores a manifest byte for byte under {@code reference} (a tag, or its digest), once its
   * blobs and children are there; {@code leftOutChildren} are index children that were filtered
   * out on purpose and are not required.
   */
  void putManifest(String name, String reference, String mediaType, byte[] bytes, Set<Digest> leftOutChildren)
      throws IOException;
}
