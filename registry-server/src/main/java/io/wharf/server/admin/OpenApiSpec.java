package io.wharf.server.admin;

import io.wharf.server.WharfVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The OpenAPI 3 document of the management plane, served at {@code /service/rest/swagger.json}
 * as Nexus serves its own: assembled once at start from {@value #BASE} (info, servers, security
 * schemes) and every fragment in {@value #FRAGMENTS} ({@code *.json}, one per endpoint group,
 * each {@code {"paths":{...},"components":{"schemas":{...}}}}), so the group that adds endpoints
 * adds their documentation beside them and nothing else changes.
 *
 * <p>Paths are absolute from the server's root ({@code /service/rest/v1/tasks},
 * {@code /wharf/api/v1/config}, {@code /health/ready}), and the one server is {@code /}: the
 * document covers Nexus's API, Wharf's and the probes at once. Two fragments may add different
 * methods to one path; the same operation or the same schema name twice with different content
 * is a build error (the server refuses to start, naming both fragments), as is a fragment
 * with other top-level keys.
 */
final class OpenApiSpec {
  static final String BASE = "io/wharf/server/admin/openapi-base.json";
  static final String FRAGMENTS = "io/wharf/server/admin/openapi/";

  private final byte[] json;
  private final JsonNode tree;

  private OpenApiSpec(JsonNode tree) {
    this.tree = tree;
    this.json = RestCall.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(tree);
  }

  /** The document assembled from this class loader's fragments, with Wharf's version. */
  public static OpenApiSpec load() {
    ClassLoader loader = OpenApiSpec.class.getClassLoader();
    ObjectNode base = (ObjectNode) read(loader, BASE);
    ((ObjectNode) base.path("info")).put("version", WharfVersion.current());
    List<String> fragments = fragmentNames(loader);
    for (String name : fragments) {
      merge(base, read(loader, FRAGMENTS + name), name);
    }
    return new OpenApiSpec(base);
  }

  /** The document, as served. */
  public byte[] json() {
    return json.clone();
  }

  public JsonNode tree() {
    return tree.deepCopy();
  }

  private static void merge(ObjectNode into, JsonNode fragment, String name) {
    if (!fragment.isObject()) {
      throw new IllegalStateException("OpenAPI fragment " + name + " is not a JSON object");
    }
    for (String key : fragment.propertyNames()) {
      if (!key.equals("paths") && !key.equals("components")) {
        throw new IllegalStateException("OpenAPI fragment " + name + " has \"" + key
            + "\": a fragment has only \"paths\" and \"components\"");
      }
    }
    ObjectNode paths = (ObjectNode) into.path("paths");
    for (Map.Entry<String, JsonNode> p : fragment.path("paths").properties()) {
      if (!p.getKey().startsWith("/")) {
        throw new IllegalStateException("OpenAPI fragment " + name + ": path " + p.getKey()
            + " must be absolute from the server's root, e.g. /service/rest/v1/...");
      }
      ObjectNode item = paths.has(p.getKey()) ? (ObjectNode) paths.get(p.getKey()) : paths.putObject(p.getKey());
      for (Map.Entry<String, JsonNode> op : p.getValue().properties()) {
        JsonNode existing = item.get(op.getKey());
        if (existing != null && !existing.equals(op.getValue())) {
          throw new IllegalStateException("OpenAPI fragment " + name + " documents " + op.getKey() + " "
              + p.getKey() + " again, differently");
        }
        item.set(op.getKey(), op.getValue());
      }
    }
    for (Map.Entry<String, JsonNode> section : fragment.path("components").properties()) {
      ObjectNode components = (ObjectNode) into.path("components");
      ObjectNode target = components.has(section.getKey()) ? (ObjectNode) components.get(section.getKey())
          : components.putObject(section.getKey());
      for (Map.Entry<String, JsonNode> s : section.getValue().properties()) {
        JsonNode existing = target.get(s.getKey());
        if (existing != null && !existing.equals(s.getValue())) {
          throw new IllegalStateException("OpenAPI fragment " + name + " defines components." + section.getKey()
              + "." + s.getKey() + " again, differently");
        }
        target.set(s.getKey(), s.getValue());
      }
    }
  }

  private static JsonNode read(ClassLoader loader, String resource) {
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      return RestCall.JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + resource, e);
    } catch (tools.jackson.core.JacksonException e) {
      throw new IllegalStateException("OpenAPI resource " + resource + " is not valid JSON: "
          + e.getOriginalMessage(), e);
    }
  }

  /** The names of the fragments, sorted, from a directory (tests, IDEs) or a jar (the shipped server). */
  static List<String> fragmentNames(ClassLoader loader) {
    TreeSet<String> names = new TreeSet<>();
    try {
      Enumeration<URL> dirs = loader.getResources(FRAGMENTS);
      while (dirs.hasMoreElements()) {
        URL url = dirs.nextElement();
        if (url.getProtocol().equals("file")) {
          try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
            files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".json")).forEach(names::add);
          }
        } else if (url.getProtocol().equals("jar")) {
          JarURLConnection c = (JarURLConnection) url.openConnection();
          c.setUseCaches(false);
          try (JarFile jar = c.getJarFile()) {
            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
              String n = e.nextElement().getName();
              if (n.startsWith(FRAGMENTS) && n.endsWith(".json") && n.indexOf('/', FRAGMENTS.length()) < 0) {
                names.add(n.substring(FRAGMENTS.length()));
              }
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not list the OpenAPI fragments", e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return new ArrayList<>(names);
  }
}
