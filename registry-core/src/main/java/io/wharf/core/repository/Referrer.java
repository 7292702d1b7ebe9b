package io.wharf.core.repository;

import io.wharf.core.model.Descriptor;
import java.util.Map;

/**
 * One entry of a referrers response: a manifest whose {@code subject} is the digest asked for.
 *
 * @param artifactType may be {@code null} (an index without {@code artifactType})
 */
public record Referrer(Descriptor descriptor, String artifactType, Map<String, String> annotations) {}
