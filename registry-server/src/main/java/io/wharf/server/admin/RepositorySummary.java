package io.wharf.server.admin;

import java.util.Map;

/**
 * One repository as Nexus lists it ({@code GET /service/rest/v1/repositories}):
 * {@code {name, format, type, url, online, attributes}}; for a proxy, {@code attributes} holds
 * {@code proxy.remoteUrl}.
 *
 * @param name the repository's name
 * @param format always {@code docker}
 * @param type {@code hosted}, {@code proxy} or {@code group}
 * @param url {@code <base>/repository/<name>}, where Wharf serves the repository's registry API too
 * @param online always true: Wharf has no offline repositories
 * @param attributes for a proxy {@code {"proxy": {"remoteUrl": ...}}}; empty for the other types
 */
public record RepositorySummary(String name, String format, String type, String url, boolean online,
    Map<String, Object> attributes) {}
