package io.wharf.core.manifest;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Parses and validates the four manifest formats a registry stores: OCI image manifest, OCI
 * image index, Docker schema 2 manifest and Docker manifest list. The bytes are never
 * re-serialised; parsing only extracts what the manifest references. Unknown fields are allowed
 * (the spec requires it). Docker schema 1 is refused: it is obsolete and unsigned here.
 */
public final class ManifestParser {
  /** The largest manifest accepted, as the spec recommends (at least 4 MiB). */
  public static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

  private static final ObjectMapper JSON = JsonMapper.builder().build();

  private ManifestParser() {}

  /**
   * Parses {@code body} pushed with {@code contentType}.
   *
   * @param body the body exactly as pushed
   * @param contentType the request's Content-Type, may be {@code null} or carry parameters
   * @return the manifest, whose digest is that of {@code body}
   * @throws RegistryException {@code MANIFEST_INVALID} for anything malformed, {@code
   *     MANIFEST_TOO_LARGE} over {@link #MAX_MANIFEST_BYTES}
   */
  public static Manifest parse(byte[] body, String contentType) {
    if (body.length > MAX_MANIFEST_BYTES) {
      throw ErrorCode.MANIFEST_TOO_LARGE.exception(
          "manifest is " + body.length + " bytes; the limit is " + MAX_MANIFEST_BYTES);
    }
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JacksonException e) {
      throw invalid("manifest is not valid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw invalid("manifest must be a JSON object");
    }
    JsonNode schemaVersion = root.get("schemaVersion");
    if (schemaVersion == null || !schemaVersion.isIntegralNumber()) {
      throw invalid("manifest has no numeric schemaVersion");
    }
    if (schemaVersion.asInt() != 2) {
      throw invalid("schemaVersion " + schemaVersion.asInt()
          + " is not supported (Docker schema 1 is obsolete); push an OCI or Docker schema 2 manifest");
    }
    String mediaType = mediaTypeOf(root, MediaTypes.base(contentType));
    Digest digest = Digest.sha256(body);
    String artifactType = optionalText(root, "artifactType");
    Map<String, String> annotations = annotations(root.get("annotations"), "annotations");
    Optional<Descriptor> subject = root.hasNonNull("subject")
        ? Optional.of(descriptor(root.get("subject"), "subject"))
        : Optional.empty();

    if (MediaTypes.INDEXES.contains(mediaType)) {
      JsonNode manifests = root.get("manifests");
      if (manifests == null || !manifests.isArray()) {
        throw invalid("an index needs a \"manifests\" array");
      }
      List<Descriptor> children = new ArrayList<>();
      for (int i = 0; i < manifests.size(); i++) {
        children.add(descriptor(manifests.get(i), "manifests[" + i + "]"));
      }
      return new Manifest(mediaType, digest, body, Optional.empty(), List.of(), List.copyOf(children),
          subject, artifactType, annotations);
    }

    JsonNode config = root.get("config");
    if (config == null || !config.isObject()) {
      throw invalid("an image manifest needs a \"config\" descriptor");
    }
    JsonNode layersNode = root.get("layers");
    if (layersNode != null && !layersNode.isNull() && !layersNode.isArray()) {
      throw invalid("\"layers\" must be an array");
    }
    List<Manifest.Layer> layers = new ArrayList<>();
    if (layersNode != null && layersNode.isArray()) {
      for (int i = 0; i < layersNode.size(); i++) {
        String where = "layers[" + i + "]";
        JsonNode l = layersNode.get(i);
        layers.add(new Manifest.Layer(descriptor(l, where), urls(l.get("urls"), where)));
      }
    }
    return new Manifest(mediaType, digest, body, Optional.of(descriptor(config, "config")),
        List.copyOf(layers), List.of(), subject, artifactType, annotations);
  }

  /**
   * Reads a manifest back from storage. Storage may hold what Wharf would refuse today (a schema 1
   * manifest written by an old distribution): those are still served byte for byte, with the
   * media type they declare and no parsed references.
   *
   * @param body the stored bytes
   * @return the manifest
   */
  public static Manifest parseStored(byte[] body) {
    try {
      return parse(body, null);
    } catch (RegistryException e) {
      String mediaType = MediaTypes.OCTET_STREAM;
      try {
        JsonNode root = JSON.readTree(body);
        JsonNode mt = root == null ? null : root.get("mediaType");
        JsonNode sv = root == null ? null : root.get("schemaVersion");
        if (mt != null && mt.isString()) {
          mediaType = mt.asString();
        } else if (sv != null && sv.asInt() == 1) {
          mediaType = root.has("signatures") ? MediaTypes.DOCKER_SCHEMA1_SIGNED : MediaTypes.DOCKER_SCHEMA1;
        }
      } catch (JacksonException ignored) {
        // not JSON at all: serve it as opaque bytes
      }
      return new Manifest(mediaType, Digest.sha256(body), body, Optional.empty(), List.of(), List.of(),
          Optional.empty(), null, Map.of());
    }
  }

  /**
   * Decides the media type: the Content-Type if it names a manifest type, else the body's
   * {@code mediaType}, else the structure ({@code manifests} -> OCI index, else OCI manifest).
   * A Content-Type that contradicts the body's {@code mediaType} is refused, as the spec says.
   */
  private static String mediaTypeOf(JsonNode root, String contentType) {
    String declared = optionalText(root, "mediaType");
    if (MediaTypes.DOCKER_SCHEMA1.equals(contentType) || MediaTypes.DOCKER_SCHEMA1_SIGNED.equals(contentType)) {
      throw invalid("Docker schema 1 manifests are not supported");
    }
    if (contentType != null && MediaTypes.isManifestType(contentType)) {
      if (declared != null && !declared.equals(contentType)) {
        throw invalid("Content-Type " + contentType + " does not match the manifest's mediaType " + declared);
      }
      return contentType;
    }
    if (declared != null) {
      if (!MediaTypes.isManifestType(declared)) {
        throw invalid("unsupported manifest mediaType " + declared);
      }
      return declared;
    }
    return root.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
  }

  private static Descriptor descriptor(JsonNode node, String where) {
    if (node == null || !node.isObject()) {
      throw invalid(where + " must be a descriptor object");
    }
    String mediaType = optionalText(node, "mediaType");
    JsonNode digest = node.get("digest");
    if (digest == null || !digest.isString()) {
      throw invalid(where + " has no digest");
    }
    Digest d;
    try {
      d = Digest.parse(digest.asString());
    } catch (RegistryException e) {
      throw invalid(where + ": " + e.getMessage());
    }
    JsonNode size = node.get("size");
    if (size == null || !size.isIntegralNumber() || size.asLong() < 0) {
      throw invalid(where + " needs a non-negative integer size");
    }
    if (mediaType == null) {
      throw invalid(where + " has no mediaType");
    }
    return new Descriptor(mediaType, d, size.asLong());
  }

  private static List<String> urls(JsonNode node, String where) {
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw invalid(where + ".urls must be an array of strings");
    }
    List<String> urls = new ArrayList<>();
    node.forEach(u -> {
      if (!u.isString()) {
        throw invalid(where + ".urls must be an array of strings");
      }
      urls.add(u.asString());
    });
    return List.copyOf(urls);
  }

  private static Map<String, String> annotations(JsonNode node, String where) {
    if (node == null || node.isNull()) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw invalid(where + " must be an object of strings");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      if (!e.getValue().isString()) {
        throw invalid(where + "." + e.getKey() + " must be a string");
      }
      out.put(e.getKey(), e.getValue().asString());
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  private static String optionalText(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isString()) {
      throw invalid("\"" + field + "\" must be a string");
    }
    return v.asString();
  }

  private static RegistryException invalid(String message) {
    return ErrorCode.MANIFEST_INVALID.exception(message);
  }
}
