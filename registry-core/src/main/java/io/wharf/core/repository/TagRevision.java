package io.wharf.core.repository;

/**
 * One change of a tag, as its history remembers it.
 *
 * @param digest what the tag pointed at from then on; null after a delete
 * @param time when (RFC 3339)
 * @param actor who (null: anonymous or a system job)
 * @param action {@code push}, {@code delete} or {@code restore}
 */
public record TagRevision(String digest, String time, String actor, String action) {}
