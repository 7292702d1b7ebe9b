package io.wharf.proxy.sync;

import io.wharf.core.model.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
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

  /**
   * Names the target in reports and messages.
   *
   * @return a short label, e.g. the repository's name {@code mirror}, or a registry's host
   */
  String describe();

  /**
   * Reads what a tag points at, so that an image already there is skipped.
   *
   * @param name the image's name at the target
   * @param tag the tag
   * @return the digest of the manifest {@code tag} points at in {@code name}, or empty if the tag
   *     (or the image) is not there
   * @throws IOException if the target's storage fails
   */
  Optional<Digest> tagged(String name, String tag) throws IOException;

  /**
   * Tells whether a manifest is there already, so that it (and what it references) is not
   * fetched again.
   *
   * @param name the image's name at the target
   * @param digest the manifest's digest
   * @return whether {@code name} holds the manifest {@code digest}
   * @throws IOException if the target's storage fails
   */
  boolean hasManifest(String name, Digest digest) throws IOException;

  /**
   * Whether {@code name} holds the blob, after making it so without a copy where it can (a blob
   * stored for another image of the same storage is linked, as a cross-repository mount).
   *
   * @param name the image's name at the target
   * @param digest the blob's digest
   * @return whether {@code name} now holds the blob; {@code false}: it must be copied with
   *     {@link #putBlob}
   * @throws IOException if the target's storage fails
   */
  boolean hasBlob(String name, Digest digest) throws IOException;

  /**
   * Stores a blob read from {@code body} as it streams, in constant memory; fails (storing
   * nothing) if the bytes do not hash to {@code digest}. The caller closes {@code body}.
   *
   * @param name the image's name at the target
   * @param digest the digest the bytes must have
   * @param size the blob's size in bytes as the manifest states it
   * @param body the blob's bytes, read to the end
   * @throws IOException if reading {@code body} fails or the target's storage fails
   * @throws io.wharf.core.error.RegistryException if the target refuses the blob: the bytes do not
   *     match {@code digest}, the write policy forbids it, a quota is exceeded
   */
  void putBlob(String name, Digest digest, long size, InputStream body) throws IOException;

  /**
   * Stores a manifest byte for byte under {@code reference} (a tag, or its digest), once its
   * blobs and children are there; {@code leftOutChildren} are index children that were filtered
   * out on purpose and are not required: by this copy's platform filter, or by the one that synced
   * the index into a source that {@linkplain SyncSource#holdsPartialIndexes holds it without them}.
   * A target that cannot store an index without them refuses it, saying so.
   *
   * @param name the image's name at the target
   * @param reference the tag to point at the manifest, or the manifest's digest in its
   *     {@code algorithm:hex} form (an index child, a referrer)
   * @param mediaType the manifest's media type as the source gave it, or null to go by the bytes
   * @param bytes the manifest's exact bytes, stored unchanged so that its digest stays the same
   * @param leftOutChildren digests of index children a platform filter left out; empty if none
   * @throws IOException if the target's storage fails
   * @throws io.wharf.core.error.RegistryException if the target refuses the manifest, as it would a
   *     push: invalid, a reference missing, the write policy (allow-once keeps a tag where it is), a quota
   */
  void putManifest(String name, String reference, String mediaType, byte[] bytes, Set<Digest> leftOutChildren)
      throws IOException;

  /**
   * Lists the tags of an image at the target, for {@code deleteMissing}.
   *
   * @param name the image's name at the target
   * @return its tags, or empty if the target has no such image
   * @throws IOException if the target cannot be read
   * @throws UnsupportedOperationException if this target cannot delete tags (the default)
   */
  default Optional<List<String>> tags(String name) throws IOException {
    throw new UnsupportedOperationException(describe() + " does not delete tags");
  }

  /**
   * Deletes a tag at the target (its manifest stays, for cleanup to judge), for {@code deleteMissing}.
   *
   * @param name the image's name at the target
   * @param tag the tag to delete
   * @throws IOException if the target fails
   * @throws RuntimeException as the target refuses it, e.g. a write policy that forbids deletes
   * @throws UnsupportedOperationException if this target cannot delete tags (the default)
   */
  default void deleteTag(String name, String tag) throws IOException {
    throw new UnsupportedOperationException(describe() + " does not delete tags");
  }
}
