package io.wharf.core.repository;

import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import java.util.Optional;

/** The outcome of a manifest push: what was stored, and its subject (for {@code OCI-Subject}). */
public record PushedManifest(Descriptor descriptor, Optional<Digest> subject) {}
