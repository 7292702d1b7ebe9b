package io.wharf.server.admin;

import io.wharf.server.config.WharfConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The configuration the server runs with ({@code GET /wharf/api/v1/config}): the file with every
 * default filled in, with every secret replaced by {@value #REDACTED}.
 *
 * <p>What is a secret is decided by the key's name, not by a list of today's keys, so a secret
 * added later (an LDAP bind password, an OIDC client secret) is redacted without anyone
 * remembering to: every non-null scalar under a key that contains {@code password},
 * {@code secret}, {@code token} (not the {@code token:} section itself, an object), {@code hash},
 * {@code credential} or ends in {@code key} ({@code accessKey}, {@code secretKey},
 * {@code signingKey}, TLS {@code key}; also key file paths, which tell where a key lies). URLs
 * lose their user information ({@code https://user:pass@host}). The values of a {@code headers}
 * map (a webhook's, whose {@code Authorization} is a credential under a name no pattern catches)
 * are all redacted; their names stay. Administrators only.
 */
final class EffectiveConfig {
  public static final String REDACTED = "**redacted**";
  private static final Pattern SECRET = Pattern.compile(".*(password|secret|token|hash|credential|key|pkcs12)");

  private EffectiveConfig() {}

  /** {@code config} (with its defaults) as JSON, secrets redacted. */
  public static JsonNode redacted(WharfConfig config) {
    JsonNode tree = RestCall.JSON.valueToTree(config.withDefaults());
    redact(tree);
    return tree;
  }

  /** Whether a value under {@code key} is a secret. */
  static boolean isSecret(String key) {
    return SECRET.matcher(key.toLowerCase(Locale.ROOT)).matches();
  }

  private static void redact(JsonNode node) {
    if (node instanceof ObjectNode o) {
      for (Map.Entry<String, JsonNode> e : o.properties()) {
        JsonNode v = e.getValue();
        if (v.isValueNode() && !v.isNull() && isSecret(e.getKey())) {
          o.put(e.getKey(), REDACTED);
        } else if (e.getKey().equals("headers") && v instanceof ObjectNode headers) {
          java.util.List.copyOf(headers.propertyNames()).forEach(name -> headers.put(name, REDACTED));
        } else if (v.isString()) {
          o.put(e.getKey(), withoutUserInfo(v.asString()));
        } else {
          redact(v);
        }
      }
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        JsonNode v = a.get(i);
        if (v.isString()) {
          a.set(i, a.stringNode(withoutUserInfo(v.asString())));
        } else {
          redact(v);
        }
      }
    }
  }

  private static String withoutUserInfo(String s) {
    if (!s.contains("@") || !s.contains("://")) {
      return s;
    }
    try {
      URI u = new URI(s);
      if (u.getRawUserInfo() == null) {
        return s;
      }
      return new URI(u.getScheme(), REDACTED, u.getHost(), u.getPort(), u.getPath(), u.getQuery(), u.getFragment())
          .toString();
    } catch (URISyntaxException e) {
      return s;
    }
  }
}
