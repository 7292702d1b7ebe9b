package io.wharf.core.repository;

import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import java.util.Optional;

/**
 * The outcome of a manifest push: what was stored, and its subject (for {@code OCI-Subject}).
 *
 * @param descriptor the stored manifest's media type, digest and size
 * @param subject the digest of the manifest it refers to, if it has a {@code subject}
 */
public record PushedManifest(Descriptor descriptor, Optional<Digest> subject) {}
