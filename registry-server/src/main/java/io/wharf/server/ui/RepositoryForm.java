package io.wharf.server.ui;

import io.wharf.server.admin.ManagementException;
import io.wharf.server.admin.RepositorySettings;
import io.wharf.server.config.WharfConfig;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The repository form of the UI, field by field, and its translation to the body the REST API
 * takes ({@code POST /v1/repositories/docker/{type}}, Nexus's Docker model): each field is named
 * by its path in that body ({@code docker.httpPort}), so the API's validation messages, which name
 * those paths, are shown next to the field they are about. Nothing is validated here: the API's
 * rules are the only rules.
 */
final class RepositoryForm {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** How a field's text becomes JSON. */
  enum Kind {
    TEXT, NUMBER, CHECKBOX, LIST, CHOICE, PASSWORD, MEMBERS
  }

  /** A field: its path in the body, its label, how it is read, and a hint for people. */
  record Spec(String path, String label, Kind kind, List<String> options, String hint) {}

  static final String[] TYPES = {"hosted", "proxy", "group"};

  private RepositoryForm() {}

  /** The fields of a form for {@code type}, in the order they are shown. */
  static List<Spec> specs(String type, List<String> blobStores, List<String> repositories) {
    List<Spec> out = new ArrayList<>();
    out.add(new Spec("name", "Name", Kind.TEXT, List.of(), "letters, digits, '.', '_' and '-'; it cannot change later"));
    if (!type.equals("group")) {
      out.add(new Spec("storage.blobStoreName", "Blob store", Kind.CHOICE, blobStores, null));
    }
    if (type.equals("hosted")) {
      out.add(new Spec("storage.writePolicy", "Write policy", Kind.CHOICE, List.of("ALLOW", "ALLOW_ONCE", "DENY"),
          "ALLOW_ONCE: a tag cannot be pushed again; DENY: read-only"));
    }
    if (type.equals("proxy")) {
      out.add(new Spec("proxy.remoteUrl", "Upstream URL", Kind.TEXT, List.of(), "e.g. https://registry-1.docker.io"));
      out.add(new Spec("dockerProxy.indexType", "Upstream kind", Kind.CHOICE, List.of("HUB", "REGISTRY"),
          "HUB: Docker Hub (alpine means library/alpine)"));
      out.add(new Spec("httpClient.authentication.username", "Upstream user", Kind.TEXT, List.of(),
          "empty: pull anonymously"));
      out.add(new Spec("httpClient.authentication.password", "Upstream password", Kind.PASSWORD, List.of(),
          "kept, never shown again; empty when editing keeps the current one"));
    }
    if (type.equals("group")) {
      out.add(new Spec("group.memberNames", "Members", Kind.MEMBERS, repositories, "asked in this order"));
      out.add(new Spec("group.writableMember", "Pushes go to", Kind.CHOICE, withNone(repositories),
          "a hosted member, or none: the group is read-only"));
    }
    out.add(new Spec("docker.httpPort", "Own port", Kind.NUMBER, List.of(),
        "a port of its own for docker clients (empty: only the main port, by path)"));
    out.add(new Spec("wharf.hosts", "Host names", Kind.LIST, List.of(), "comma-separated names that route here"));
    out.add(new Spec("wharf.anonymousPull", "Anyone may pull without logging in", Kind.CHECKBOX, List.of(), null));
    if (type.equals("hosted")) {
      out.add(new Spec("wharf.cleanup.keepLatest", "Cleanup: keep the newest tags", Kind.NUMBER, List.of(),
          "per image; older tags are deleted by the blob store's maintenance"));
      out.add(new Spec("wharf.cleanup.olderThan", "Cleanup: only tags older than", Kind.TEXT, List.of(),
          "e.g. 30d; empty: any age"));
      out.add(new Spec("wharf.quota.hard", "Quota", Kind.TEXT, List.of(), "e.g. 10GiB; pushes past it are refused"));
    }
    return out;
  }

  private static List<String> withNone(List<String> names) {
    List<String> out = new ArrayList<>();
    out.add("");
    out.addAll(names);
    return out;
  }

  /** The form's values as sent ({@code name} to text; members comma-joined). */
  static Map<String, String> read(HttpServletRequest req, List<Spec> specs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Spec s : specs) {
      String[] v = req.getParameterValues(s.path());
      if (s.kind() == Kind.CHECKBOX) {
        out.put(s.path(), String.valueOf(v != null && Arrays.asList(v).contains("true")));
      } else if (s.kind() == Kind.MEMBERS) {
        out.put(s.path(), v == null ? "" : String.join(",", v));
      } else {
        out.put(s.path(), v == null ? "" : v[0].strip());
      }
    }
    return out;
  }

  /**
   * The API's body for these values: empty fields are left out (the API's defaults apply), a
   * number that is not one is sent as text (the API then says so, next to the field).
   */
  static ObjectNode body(List<Spec> specs, Map<String, String> values) {
    ObjectNode body = JSON.createObjectNode();
    for (Spec s : specs) {
      String v = values.getOrDefault(s.path(), "");
      if (v.isEmpty() && s.kind() != Kind.CHECKBOX) {
        continue;
      }
      String[] path = s.path().split("\\.");
      ObjectNode parent = body;
      for (int i = 0; i < path.length - 1; i++) {
        parent = parent.has(path[i]) ? (ObjectNode) parent.get(path[i]) : parent.putObject(path[i]);
      }
      String leaf = path[path.length - 1];
      switch (s.kind()) {
        case NUMBER -> {
          try {
            parent.put(leaf, Integer.parseInt(v));
          } catch (NumberFormatException e) {
            parent.put(leaf, v);
          }
        }
        case CHECKBOX -> parent.put(leaf, Boolean.parseBoolean(v));
        case LIST, MEMBERS -> {
          var array = parent.putArray(leaf);
          Arrays.stream(v.split(",")).map(String::strip).filter(x -> !x.isEmpty()).forEach(array::add);
        }
        default -> parent.put(leaf, v);
      }
      if (s.path().equals("httpClient.authentication.username")) {
        parent.put("type", "username");
      }
    }
    return body;
  }

  /** The values of a repository's current settings, as the form shows them (never a password). */
  static Map<String, String> values(RepositorySettings r) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("name", r.name());
    if (r.storage() != null) {
      put(out, "storage.blobStoreName", r.storage().blobStoreName());
      put(out, "storage.writePolicy", r.storage().writePolicy());
    }
    if (r.docker() != null) {
      Integer port = r.docker().httpPort() != null ? r.docker().httpPort() : r.docker().httpsPort();
      put(out, "docker.httpPort", port == null ? null : String.valueOf(port));
    }
    if (r.proxy() != null) {
      put(out, "proxy.remoteUrl", r.proxy().remoteUrl());
    }
    if (r.dockerProxy() != null) {
      put(out, "dockerProxy.indexType", r.dockerProxy().indexType());
    }
    if (r.httpClient() != null && r.httpClient().authentication() != null) {
      put(out, "httpClient.authentication.username", r.httpClient().authentication().username());
    }
    if (r.group() != null) {
      put(out, "group.memberNames", String.join(",", r.group().memberNames()));
      put(out, "group.writableMember", r.group().writableMember());
    }
    RepositorySettings.Wharf w = r.wharf();
    if (w != null) {
      put(out, "wharf.hosts", w.hosts() == null ? null : String.join(", ", w.hosts()));
      out.put("wharf.anonymousPull", String.valueOf(Boolean.TRUE.equals(w.anonymousPull())));
      if (w.cleanup() instanceof WharfConfig.Cleanup c) {
        put(out, "wharf.cleanup.keepLatest", c.keepLatest() == null ? null : String.valueOf(c.keepLatest()));
        put(out, "wharf.cleanup.olderThan", c.olderThan());
      } else if (w.cleanup() instanceof Map<?, ?> c) {
        put(out, "wharf.cleanup.keepLatest", c.get("keepLatest") == null ? null : String.valueOf(c.get("keepLatest")));
        put(out, "wharf.cleanup.olderThan", c.get("olderThan") == null ? null : String.valueOf(c.get("olderThan")));
      }
      if (w.quota() instanceof WharfConfig.Quota q) {
        put(out, "wharf.quota.hard", q.hard());
      } else if (w.quota() instanceof Map<?, ?> q) {
        put(out, "wharf.quota.hard", q.get("hard") == null ? null : String.valueOf(q.get("hard")));
      }
    }
    return out;
  }

  private static void put(Map<String, String> out, String key, String value) {
    if (value != null) {
      out.put(key, value);
    }
  }

  /**
   * The API's refusal split: messages by the field they name (a field of this form), and the
   * rest. A message for {@code wharf.cleanup} goes to its first field.
   */
  static Map<String, String> fieldErrors(ManagementException e, List<Spec> specs, List<String> rest) {
    Map<String, String> out = new LinkedHashMap<>();
    if (e.violations().isEmpty()) {
      rest.add(e.getMessage());
      return out;
    }
    for (ManagementException.Violation v : e.violations()) {
      String field = null;
      for (Spec s : specs) {
        if (s.path().equals(v.id()) || s.path().startsWith(v.id() + ".") && field == null) {
          field = s.path();
        }
      }
      if (field == null && v.id().equals("docker.httpsPort")) {
        field = "docker.httpPort";
      }
      if (field == null) {
        rest.add(v.id() + ": " + v.message());
      } else {
        out.merge(field, v.message(), (a, b) -> a + "; " + b);
      }
    }
    return out;
  }
}
