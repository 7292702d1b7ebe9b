package io.wharf.core.manifest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ManifestParserTest {
  private static final String CONFIG = digest('c');
  private static final String LAYER1 = digest('1');
  private static final String LAYER2 = digest('2');
  private static final String CHILD1 = digest('a');
  private static final String CHILD2 = digest('b');
  private static final String SUBJECT = digest('5');

  private static String digest(char c) {
    return "sha256:" + String.valueOf(c).repeat(64);
  }

  private static String descriptor(String mediaType, String digest, long size) {
    return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
  }

  private static byte[] json(String s) {
    return s.getBytes(UTF_8);
  }

  private static String ociManifest(String extra) {
    return "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
        + "\"config\":" + descriptor(MediaTypes.OCI_CONFIG, CONFIG, 7) + ","
        + "\"layers\":[" + descriptor(MediaTypes.OCI_LAYER_TAR_GZIP, LAYER1, 100) + ","
        + descriptor(MediaTypes.OCI_LAYER_TAR_GZIP, LAYER2, 200) + "]" + extra + "}";
  }

  private static void assertInvalid(String body, String contentType, String messagePart) {
    assertThatThrownBy(() -> ManifestParser.parse(json(body), contentType))
        .isInstanceOfSatisfying(RegistryException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_INVALID);
          assertThat(e.getMessage()).contains(messagePart);
        });
  }

  @Test
  void parse_ociManifest_configLayersAndDigestOfExactBytes() {
    byte[] body = json(ociManifest(""));

    Manifest m = ManifestParser.parse(body, MediaTypes.OCI_MANIFEST);

    assertThat(m.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
    assertThat(m.digest()).isEqualTo(Digest.sha256(body));
    assertThat(m.bytes()).isSameAs(body);
    assertThat(m.config()).contains(new Descriptor(MediaTypes.OCI_CONFIG, Digest.parse(CONFIG), 7));
    assertThat(m.layers()).extracting(l -> l.descriptor().digest().value()).containsExactly(LAYER1, LAYER2);
    assertThat(m.layers()).extracting(Manifest.Layer::isForeign).containsOnly(false);
    assertThat(m.children()).isEmpty();
    assertThat(m.subject()).isEmpty();
    assertThat(m.artifactType()).isNull();
    assertThat(m.annotations()).isEmpty();
    assertThat(m.isIndex()).isFalse();
    assertThat(m.descriptor()).isEqualTo(new Descriptor(MediaTypes.OCI_MANIFEST, Digest.sha256(body), body.length));
    assertThat(m.effectiveArtifactType()).isEqualTo(MediaTypes.OCI_CONFIG);
  }

  @Test
  void parse_ociIndex_children() {
    String body = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
        + descriptor(MediaTypes.OCI_MANIFEST, CHILD1, 500)
            .replace("}", ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}")
        + "," + descriptor(MediaTypes.OCI_MANIFEST, CHILD2, 600) + "]}";

    Manifest m = ManifestParser.parse(json(body), MediaTypes.OCI_INDEX);

    assertThat(m.mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
    assertThat(m.isIndex()).isTrue();
    assertThat(m.children()).extracting(d -> d.digest().value()).containsExactly(CHILD1, CHILD2);
    assertThat(m.children().get(0).size()).isEqualTo(500);
    assertThat(m.config()).isEmpty();
    assertThat(m.layers()).isEmpty();
    assertThat(m.effectiveArtifactType()).isNull();
  }

  @Test
  void parse_dockerSchema2_configAndForeignLayer() {
    String body = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\","
        + "\"config\":" + descriptor(MediaTypes.DOCKER_CONFIG, CONFIG, 7) + ","
        + "\"layers\":[" + descriptor(MediaTypes.DOCKER_LAYER, LAYER1, 100) + ","
        + descriptor("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", LAYER2, 200)
            .replace("}", ",\"urls\":[\"https://mcr.microsoft.com/v2/windows/blobs/" + LAYER2 + "\"]}")
        + "]}";

    Manifest m = ManifestParser.parse(json(body), MediaTypes.DOCKER_MANIFEST);

    assertThat(m.mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
    assertThat(m.layers()).hasSize(2);
    assertThat(m.layers().get(0).isForeign()).isFalse();
    assertThat(m.layers().get(1).isForeign()).isTrue();
    assertThat(m.layers().get(1).urls()).containsExactly("https://mcr.microsoft.com/v2/windows/blobs/" + LAYER2);
  }

  @Test
  void parse_dockerManifestList_children() {
    String body = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST_LIST + "\",\"manifests\":["
        + descriptor(MediaTypes.DOCKER_MANIFEST, CHILD1, 500) + "]}";

    Manifest m = ManifestParser.parse(json(body), MediaTypes.DOCKER_MANIFEST_LIST);

    assertThat(m.mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST_LIST);
    assertThat(m.isIndex()).isTrue();
    assertThat(m.children()).extracting(d -> d.digest().value()).containsExactly(CHILD1);
  }

  @Test
  void parse_subjectArtifactTypeAndAnnotations_extracted() {
    String extra = ",\"artifactType\":\"application/vnd.example.sbom\",\"subject\":"
        + descriptor(MediaTypes.OCI_MANIFEST, SUBJECT, 1234)
        + ",\"annotations\":{\"org.opencontainers.image.created\":\"2024-01-01T00:00:00Z\",\"k\":\"v\"}";

    Manifest m = ManifestParser.parse(json(ociManifest(extra)), MediaTypes.OCI_MANIFEST);

    assertThat(m.subject()).contains(new Descriptor(MediaTypes.OCI_MANIFEST, Digest.parse(SUBJECT), 1234));
    assertThat(m.artifactType()).isEqualTo("application/vnd.example.sbom");
    assertThat(m.effectiveArtifactType()).isEqualTo("application/vnd.example.sbom");
    assertThat(m.annotations()).containsExactly(
        Map.entry("org.opencontainers.image.created", "2024-01-01T00:00:00Z"), Map.entry("k", "v"));
  }

  @Test
  void parse_indexWithSubject_extracted() {
    String body = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[],"
        + "\"subject\":" + descriptor(MediaTypes.OCI_MANIFEST, SUBJECT, 10) + "}";

    Manifest m = ManifestParser.parse(json(body), MediaTypes.OCI_INDEX);

    assertThat(m.subject().map(d -> d.digest().value())).contains(SUBJECT);
    assertThat(m.children()).isEmpty();
  }

  @Test
  void parse_unknownFieldsAndDataField_tolerated() {
    String body = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
        + "\"config\":{\"mediaType\":\"" + MediaTypes.OCI_EMPTY + "\",\"digest\":"
        + "\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2,\"data\":\"e30=\"},"
        + "\"layers\":[],\"futureField\":{\"nested\":[1,2,3]},\"x-vendor\":true}";

    Manifest m = ManifestParser.parse(json(body), MediaTypes.OCI_MANIFEST);

    assertThat(m.config().map(Descriptor::size)).contains(2L);
    assertThat(m.layers()).isEmpty();
  }

  @Test
  void parse_layersMissingOrNull_noLayers() {
    String noLayers = "{\"schemaVersion\":2,\"config\":" + descriptor(MediaTypes.OCI_CONFIG, CONFIG, 7) + "}";
    String nullLayers =
        "{\"schemaVersion\":2,\"config\":" + descriptor(MediaTypes.OCI_CONFIG, CONFIG, 7) + ",\"layers\":null}";

    assertThat(ManifestParser.parse(json(noLayers), MediaTypes.OCI_MANIFEST).layers()).isEmpty();
    assertThat(ManifestParser.parse(json(nullLayers), MediaTypes.OCI_MANIFEST).layers()).isEmpty();
  }

  @Test
  void parse_contentTypeWithParameters_parametersIgnored() {
    Manifest m = ManifestParser.parse(json(ociManifest("")), MediaTypes.OCI_MANIFEST + "; charset=utf-8");

    assertThat(m.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
  }

  @Test
  void parse_noMediaTypeAnywhere_typeFromStructure() {
    String image =
        "{\"schemaVersion\":2,\"config\":" + descriptor(MediaTypes.OCI_CONFIG, CONFIG, 7) + ",\"layers\":[]}";
    String index = "{\"schemaVersion\":2,\"manifests\":[]}";

    assertThat(ManifestParser.parse(json(image), null).mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
    assertThat(ManifestParser.parse(json(index), null).mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
    assertThat(ManifestParser.parse(json(index), "application/json").mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
  }

  @Test
  void parse_genericContentType_typeFromBody() {
    Manifest m = ManifestParser.parse(json(ociManifest("")), "application/octet-stream");

    assertThat(m.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
  }

  @Test
  void parse_contentTypeWithoutMediaTypeInBody_contentTypeWins() {
    String body = "{\"schemaVersion\":2,\"manifests\":[]}";

    assertThat(ManifestParser.parse(json(body), MediaTypes.DOCKER_MANIFEST_LIST).mediaType())
        .isEqualTo(MediaTypes.DOCKER_MANIFEST_LIST);
  }

  @Test
  void parse_contentTypeContradictsMediaType_invalid() {
    assertInvalid(ociManifest(""), MediaTypes.DOCKER_MANIFEST, "does not match");
    assertInvalid(ociManifest(""), MediaTypes.OCI_INDEX, "does not match");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{", "", "not json", "{\"schemaVersion\":2,}"})
  void parse_notJson_invalid(String body) {
    assertInvalid(body, MediaTypes.OCI_MANIFEST, "");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[]", "null", "42", "\"text\""})
  void parse_notAnObject_invalid(String body) {
    assertInvalid(body, MediaTypes.OCI_MANIFEST, "");
  }

  @Test
  void parse_schemaVersionMissingOrWrong_invalid() {
    assertInvalid("{\"config\":{}}", MediaTypes.OCI_MANIFEST, "schemaVersion");
    assertInvalid("{\"schemaVersion\":\"2\"}", MediaTypes.OCI_MANIFEST, "schemaVersion");
    assertInvalid(ociManifest("").replace("\"schemaVersion\":2", "\"schemaVersion\":3"), MediaTypes.OCI_MANIFEST,
        "schemaVersion 3");
  }

  @Test
  void parse_schema1_invalid() {
    String schema1 =
        "{\"schemaVersion\":1,\"name\":\"a\",\"tag\":\"b\",\"fsLayers\":[{\"blobSum\":\"" + LAYER1 + "\"}]}";

    assertInvalid(schema1, MediaTypes.DOCKER_SCHEMA1, "schema");
    assertInvalid(schema1, MediaTypes.DOCKER_SCHEMA1_SIGNED, "schema");
    assertInvalid(schema1, null, "schema");
    assertInvalid(ociManifest(""), MediaTypes.DOCKER_SCHEMA1_SIGNED, "schema 1");
  }

  @Test
  void parse_unsupportedMediaType_invalid() {
    assertInvalid(ociManifest("").replace(MediaTypes.OCI_MANIFEST, "application/vnd.example+json"), null, "mediaType");
  }

  @Test
  void parse_imageWithoutConfig_invalid() {
    assertInvalid("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"layers\":[]}",
        MediaTypes.OCI_MANIFEST, "config");
  }

  @Test
  void parse_indexWithoutManifestsArray_invalid() {
    assertInvalid("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\"}",
        MediaTypes.OCI_INDEX, "manifests");
    assertInvalid("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":{}}",
        MediaTypes.OCI_INDEX, "manifests");
  }

  @Test
  void parse_layersNotArray_invalid() {
    assertInvalid(ociManifest("").replaceFirst("\"layers\":\\[.*\\]", "\"layers\":{}"),
        MediaTypes.OCI_MANIFEST, "layers");
  }

  @Test
  void parse_badDescriptors_invalidNamingWhere() {
    String base = "{\"schemaVersion\":2,\"config\":%s,\"layers\":[]}";
    assertInvalid(String.format(base, "{\"mediaType\":\"a/b\",\"size\":1}"), null, "config has no digest");
    assertInvalid(String.format(base, "{\"mediaType\":\"a/b\",\"digest\":\"sha256:xyz\",\"size\":1}"), null, "config");
    assertInvalid(String.format(base, "{\"mediaType\":\"a/b\",\"digest\":\"md5:" + "0".repeat(32) + "\",\"size\":1}"),
        null, "unsupported");
    assertInvalid(String.format(base, "{\"mediaType\":\"a/b\",\"digest\":\"" + CONFIG + "\"}"), null, "size");
    String sized = "{\"mediaType\":\"a/b\",\"digest\":\"" + CONFIG + "\",\"size\":%s}";
    assertInvalid(String.format(base, String.format(sized, "-1")), null, "size");
    assertInvalid(String.format(base, String.format(sized, "1.5")), null, "size");
    assertInvalid(String.format(base, "{\"digest\":\"" + CONFIG + "\",\"size\":1}"), null, "mediaType");
    assertInvalid(String.format(base, "\"" + CONFIG + "\""), null, "config");
    assertInvalid(ociManifest("").replace("\"size\":200", "\"size\":\"200\""), null, "layers[1]");
  }

  @Test
  void parse_badUrlsOrAnnotations_invalid() {
    String layerWithUrls = "{\"schemaVersion\":2,\"config\":" + descriptor(MediaTypes.OCI_CONFIG, CONFIG, 7)
        + ",\"layers\":[" + descriptor(MediaTypes.OCI_LAYER_TAR_GZIP, LAYER1, 1).replace("}", ",\"urls\":%s}") + "]}";
    assertInvalid(String.format(layerWithUrls, "\"https://x\""), null, "urls");
    assertInvalid(String.format(layerWithUrls, "[1]"), null, "urls");
    assertInvalid(ociManifest(",\"annotations\":[]"), null, "annotations");
    assertInvalid(ociManifest(",\"annotations\":{\"k\":1}"), null, "annotations.k");
    assertInvalid(ociManifest(",\"artifactType\":5"), null, "artifactType");
    assertInvalid(ociManifest(",\"subject\":\"" + SUBJECT + "\""), null, "subject");
  }

  @Test
  void parse_over4MiB_manifestTooLarge() {
    byte[] body = new byte[ManifestParser.MAX_MANIFEST_BYTES + 1];

    assertThatThrownBy(() -> ManifestParser.parse(body, MediaTypes.OCI_MANIFEST))
        .isInstanceOfSatisfying(RegistryException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_TOO_LARGE);
          assertThat(e.code().httpStatus()).isEqualTo(413);
        });
  }

  @Test
  void parse_exactly4MiB_accepted() {
    String head = ociManifest(",\"annotations\":{\"pad\":\"");
    String tail = "\"}}";
    // ociManifest closes with "}", so strip it and close the annotations object ourselves
    head = head.substring(0, head.length() - 1);
    String body = head + "x".repeat(ManifestParser.MAX_MANIFEST_BYTES - head.length() - tail.length()) + tail;
    assertThat(body).hasSize(ManifestParser.MAX_MANIFEST_BYTES);

    assertThat(ManifestParser.parse(json(body), MediaTypes.OCI_MANIFEST).annotations()).containsKey("pad");
  }

  @Test
  void parseStored_schema1_servedOpaqueWithItsType() {
    String signed = "{\"schemaVersion\":1,\"name\":\"a\",\"signatures\":[]}";
    String unsigned = "{\"schemaVersion\":1,\"name\":\"a\"}";

    assertThat(ManifestParser.parseStored(json(signed)).mediaType()).isEqualTo(MediaTypes.DOCKER_SCHEMA1_SIGNED);
    assertThat(ManifestParser.parseStored(json(unsigned)).mediaType()).isEqualTo(MediaTypes.DOCKER_SCHEMA1);
    assertThat(ManifestParser.parseStored(json(unsigned)).config()).isEmpty();
  }

  @Test
  void parseStored_valid_sameAsParse() {
    byte[] body = json(ociManifest(""));

    Manifest m = ManifestParser.parseStored(body);

    assertThat(m.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
    assertThat(m.layers()).hasSize(2);
  }

  @Test
  void parseStored_notJson_octetStream() {
    Manifest m = ManifestParser.parseStored(json("garbage"));

    assertThat(m.mediaType()).isEqualTo(MediaTypes.OCTET_STREAM);
    assertThat(m.digest()).isEqualTo(Digest.sha256("garbage"));
  }
}
