package io.wharf.core.repository;

import io.wharf.core.manifest.Manifest;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.storage.ManifestStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One entry of a referrers response: a manifest whose {@code subject} is the digest asked for.
 *
 * @param descriptor the referring manifest's media type, digest and size
 * @param artifactType may be {@code null} (an index without {@code artifactType})
 * @param annotations the manifest's annotations, empty if none
 */
public record Referrer(Descriptor descriptor, String artifactType, Map<String, String> annotations) {

  /**
   * The entry for {@code manifest}, described from its own bytes as the referrers API requires.
   *
   * @param manifest a manifest with a subject
   * @return its entry
   */
  public static Referrer of(Manifest manifest) {
    return new Referrer(manifest.descriptor(), manifest.effectiveArtifactType(), manifest.annotations());
  }

  /**
   * The referrers of {@code subject} that {@code manifests} indexes for {@code image} (its
   * {@code _referrers} links), of {@code artifactType} ({@code null}: every type), sorted by
   * digest. Only manifests the store holds are listed, so an entry is always something that was
   * accepted and can be pulled.
   *
   * @param manifests the store of the image's manifests
   * @param image the image
   * @param subject the digest referred to
   * @param artifactType the artifact type to keep, or null for all
   * @return the referrers, sorted by digest
   * @throws IOException if storage fails
   */
  public static List<Referrer> indexed(ManifestStore manifests, ImageName image, Digest subject, String artifactType)
      throws IOException {
    List<Referrer> out = new ArrayList<>();
    for (Digest d : manifests.referrers(image, subject)) {
      Optional<Manifest> m = manifests.get(image, d);
      if (m.isEmpty()) {
        continue; // deleted meanwhile, or a dangling index entry
      }
      Referrer r = of(m.get());
      if (artifactType == null || artifactType.equals(r.artifactType())) {
        out.add(r);
      }
    }
    out.sort((a, b) -> a.descriptor().digest().compareTo(b.descriptor().digest()));
    return out;
  }
}
