/**
 * Wharf's test kit: a real registry inside a JUnit test, in milliseconds, with no Docker daemon.
 *
 * <ul>
 *   <li>{@link io.wharf.testkit.TestRegistry}: an in-process Wharf on a free loopback port, in
 *       memory or in a temporary directory; seeding, inspection, {@code reset()}, and the
 *       {@link io.wharf.testkit.RequestJournal} of every request it served (with its headers).
 *       What it holds reads back as {@link io.wharf.testkit.StoredManifest}s with the accessors of
 *       the fixtures ({@link io.wharf.testkit.Described}). With {@link
 *       io.wharf.testkit.TestRegistryOptions#https()} it serves HTTPS with a generated certificate
 *       ({@link io.wharf.testkit.TestTls}).
 *   <li>{@link io.wharf.testkit.WharfRegistry @WharfRegistry} and
 *       {@link io.wharf.testkit.WharfRegistryExtension}: the JUnit 5/6 extension.
 *   <li>{@link io.wharf.testkit.TestImages}: deterministic image fixtures (layers, configs,
 *       manifests, indexes), also written as OCI layouts or {@code docker save} archives.
 *   <li>{@link io.wharf.testkit.TestRegistryOptions#fakeUpstream()}: a second registry as the
 *       upstream of a proxy repository, a group over both, and a {@link io.wharf.testkit.TestClock}
 *       for the proxy's notion of time.
 *   <li>{@link io.wharf.testkit.Faults}, on every test registry (the one the pipeline talks to
 *       and a fake upstream): 429 after N pulls, latency, 5xx, cut-off or corrupted bodies, and
 *       a registry that is down.
 * </ul>
 *
 * The guide is {@code docs/testing.md} in the repository.
 */
package io.wharf.testkit;
