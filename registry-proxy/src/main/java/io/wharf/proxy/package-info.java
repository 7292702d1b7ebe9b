/**
 * Proxy repositories: a pull-through cache of one upstream registry. {@link
 * io.wharf.proxy.ProxyRepository} is the public entry point; the upstream client, its token
 * authentication and the single-flight blob fetches are package-private.
 */
package io.wharf.proxy;
