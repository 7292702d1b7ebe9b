package io.wharf.server.ui;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a client reaches a repository, and the exact commands to do it. In order of preference:
 * the repository's own port ({@code host:5001/app}), a host name it claims
 * ({@code docker.lan/app}), the main port with the repository's name as the first path segment
 * ({@code host:5000/docker-hosted/app}, path routing), and, for the main port's default
 * repository, the main port alone ({@code host:5000/app}).
 *
 * @param registry what {@code docker login} takes ({@code host:port})
 * @param prefix what precedes the image name in a reference ({@code host:port/docker-hosted})
 * @param how one line for people ("own port", "path on the main port")
 * @param tls whether the address speaks HTTPS (else the commands carry the flags for plain HTTP)
 */
public record Reach(String registry, String prefix, String how, boolean tls) {

  /**
   * The ways to reach a repository, the preferred first.
   *
   * @param mainHost the main port's host and port as clients write it ({@code registry.lan:5000})
   * @param ownPort the repository's own port, or null
   * @param hosts host names the repository claims
   * @param isDefault whether the main port's default repository is this one
   */
  static List<Reach> of(String name, String mainHost, boolean mainTls, Integer ownPort, boolean ownTls,
      List<String> hosts, boolean isDefault) {
    List<Reach> out = new ArrayList<>();
    if (ownPort != null) {
      String h = hostOnly(mainHost) + ":" + ownPort;
      out.add(new Reach(h, h, "its own port " + ownPort, ownTls));
    }
    String mainPort = portSuffix(mainHost);
    for (String host : hosts) {
      String h = host.toLowerCase(Locale.ROOT) + mainPort;
      out.add(new Reach(h, h, "host name " + host, mainTls));
    }
    if (isDefault) {
      out.add(new Reach(mainHost, mainHost, "the main port (default repository)", mainTls));
    }
    out.add(new Reach(mainHost, mainHost + "/" + name, "a path on the main port", mainTls));
    return out;
  }

  /**
   * The image reference {@code prefix/image:tag} or {@code prefix/image@digest}.
   *
   * @param image the image name
   * @param tagOrDigest a tag, or a digest ({@code algorithm:hex})
   * @return the reference a client pulls
   */
  public String reference(String image, String tagOrDigest) {
    String sep = tagOrDigest.contains(":") ? "@" : ":";
    return prefix + "/" + image + sep + tagOrDigest;
  }

  String dockerLogin() {
    return "docker login " + registry;
  }

  String dockerPull(String image, String tagOrDigest) {
    return "docker pull " + reference(image, tagOrDigest);
  }

  String podmanPull(String image, String tagOrDigest) {
    return "podman pull " + (tls ? "" : "--tls-verify=false ") + reference(image, tagOrDigest);
  }

  String skopeoCopy(String image, String tagOrDigest) {
    String safe = tagOrDigest.contains(":") ? tagOrDigest.substring(tagOrDigest.indexOf(':') + 1, 
        tagOrDigest.indexOf(':') + 13) : tagOrDigest;
    String dir = image.substring(image.lastIndexOf('/') + 1) + "-" + safe;
    return "skopeo copy " + (tls ? "" : "--src-tls-verify=false ") + "docker://" + reference(image, tagOrDigest)
        + " dir:" + dir;
  }

  private static String hostOnly(String hostPort) {
    if (hostPort.startsWith("[")) {
      return hostPort.substring(0, hostPort.indexOf(']') + 1);
    }
    int colon = hostPort.lastIndexOf(':');
    return colon < 0 ? hostPort : hostPort.substring(0, colon);
  }

  private static String portSuffix(String hostPort) {
    String host = hostOnly(hostPort);
    return hostPort.substring(host.length());
  }
}
